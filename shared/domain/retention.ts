/**
 * docs/lifecycle.md, "Retention": which versions a model's retention rules delete, and which ones
 * a rule names but something still needs. Each rule deletes on its own; none touches a version in
 * Staging or Production, a READY version in None, or one being verified.
 */
export interface RetentionRules {
  /** Archived versions beyond the newest N (by version number) are deleted. */
  readonly keepArchived?: number;
  /** Archived versions unchanged for this many days are deleted. */
  readonly deleteArchivedAfterDays?: number;
  /** Versions in None whose upload never finished (PENDING_UPLOAD) or failed (FAILED), unchanged for this many hours, are deleted. */
  readonly abandonedUploadsAfterHours?: number;
}

/** What the rules look at in a version. */
export interface RetainedVersion {
  readonly version: number;
  readonly stage: string;
  readonly status: string;
  readonly protected?: boolean;
  readonly updatedAt: string;
  readonly lineage: { readonly parentVersions: readonly number[] };
}

/** A version a rule deletes, and the rule, as history records it (`retention: keepArchived 5`). */
export interface RetentionDeletion {
  readonly version: number;
  readonly reason: string;
}

/** A version a rule names, kept because something needs it. */
export interface RetentionSpared extends RetentionDeletion {
  readonly because: string;
}

export interface RetentionPlan {
  /** Highest version first: a child goes before the parent it was keeping. */
  readonly deletions: readonly RetentionDeletion[];
  readonly spared: readonly RetentionSpared[];
}

const HOUR_MS = 3_600_000;
const ABANDONED_STATUSES = new Set(["PENDING_UPLOAD", "FAILED"]);

export const hasRules = (rules: RetentionRules): boolean => Object.values(rules).some((rule) => rule !== undefined);

/**
 * The model's versions the rules delete at `now`, and those they spare:
 * 1. each version gets the first rule that names it (keepArchived, deleteArchivedAfterDays, abandonedUploadsAfterHours);
 * 2. from the highest version down, a named version is spared when it is protected, an alias names
 *    it, or a version that stays lists it in lineage.parentVersions; a parent whose every child
 *    goes in this plan goes too.
 */
export function planRetention(
  rules: RetentionRules,
  versions: readonly RetainedVersion[],
  aliases: Readonly<Record<string, number>>,
  now: Date,
): RetentionPlan {
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);
  const reasonFor = ruleNaming(rules, newestFirst, now);
  const staying = new Set(newestFirst.map((v) => v.version));
  const deletions: RetentionDeletion[] = [];
  const spared: RetentionSpared[] = [];
  for (const version of newestFirst) {
    const reason = reasonFor(version);
    if (!reason) continue;
    const because = neededBy(version, newestFirst, staying, aliases);
    if (because) {
      spared.push({ version: version.version, reason, because });
    } else {
      deletions.push({ version: version.version, reason });
      staying.delete(version.version);
    }
  }
  return { deletions, spared };
}

/** The first rule that names a version, as `retention: <rule> <value>`. */
function ruleNaming(rules: RetentionRules, newestFirst: readonly RetainedVersion[], now: Date) {
  const archived = newestFirst.filter((v) => v.stage === "Archived").map((v) => v.version);
  const beyondKept = new Set(rules.keepArchived === undefined ? [] : archived.slice(rules.keepArchived));
  const ageHours = (version: RetainedVersion) => (now.getTime() - Date.parse(version.updatedAt)) / HOUR_MS;
  const { keepArchived, deleteArchivedAfterDays: days, abandonedUploadsAfterHours: hours } = rules;
  return (version: RetainedVersion): string | undefined => {
    if (beyondKept.has(version.version)) return `retention: keepArchived ${keepArchived}`;
    if (version.stage === "Archived" && days !== undefined && ageHours(version) >= days * 24)
      return `retention: deleteArchivedAfterDays ${days}`;
    if (version.stage === "None" && ABANDONED_STATUSES.has(version.status) && hours !== undefined && ageHours(version) >= hours)
      return `retention: abandonedUploadsAfterHours ${hours}`;
    return undefined;
  };
}

/** Why a version a rule names must stay, if it must. */
function neededBy(
  version: RetainedVersion,
  versions: readonly RetainedVersion[],
  staying: ReadonlySet<number>,
  aliases: Readonly<Record<string, number>>,
): string | undefined {
  if (version.protected) return "protected";
  const names = Object.entries(aliases)
    .filter(([, target]) => target === version.version)
    .map(([alias]) => alias);
  if (names.length > 0) return `alias ${names.join(", ")}`;
  const children = versions
    .filter((v) => staying.has(v.version) && v.lineage.parentVersions.includes(version.version))
    .map((v) => v.version);
  if (children.length > 0) return `lineage parent of version ${children.join(", ")}`;
  return undefined;
}
