/**
 * docs/lifecycle.md, "Retention": which versions a model's retention rules delete, and which ones
 * a rule names but something still needs. Each rule deletes on its own; none touches a version in
 * Staging or Production, a READY version in None, or one being verified.
 */
export interface RetentionRules {
  /** Of the Archived versions that stay, the newest N (by version number); each older one is deleted. */
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
 * The model's versions the rules delete at `now`, and those they spare, decided from the highest
 * version down, so that each decision rests only on newer versions' (the plan holds as its
 * deletions are made one by one, highest first, and planning again afterwards deletes nothing more):
 * 1. an Archived version unchanged for deleteArchivedAfterDays, or with keepArchived Archived
 *    versions above it that stay, is named by that rule; so is an abandoned upload (PENDING_UPLOAD
 *    or FAILED in None) unchanged for abandonedUploadsAfterHours;
 * 2. a named version is spared when it is protected, an alias names it, a rollback of Production
 *    would put it back (`restoredByRollback`), or a version that stays lists it in lineage.parentVersions;
 *    a parent whose every child goes in this plan goes too.
 */
export function planRetention(
  rules: RetentionRules,
  versions: readonly RetainedVersion[],
  aliases: Readonly<Record<string, number>>,
  now: Date,
  restoredByRollback?: number,
): RetentionPlan {
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);
  const staying = new Set(newestFirst.map((v) => v.version));
  const deletions: RetentionDeletion[] = [];
  const spared: RetentionSpared[] = [];
  let archivedAbove = 0;
  for (const version of newestFirst) {
    const reason = ruleNaming(rules, version, archivedAbove, now);
    const because = reason && neededBy(version, newestFirst, staying, aliases, restoredByRollback);
    if (reason && !because) {
      deletions.push({ version: version.version, reason });
      staying.delete(version.version);
      continue;
    }
    if (reason && because) spared.push({ version: version.version, reason, because });
    if (version.stage === "Archived") archivedAbove++;
  }
  return { deletions, spared };
}

/** The first rule that names a version with `archivedAbove` Archived versions above it staying, as `retention: <rule> <value>`. */
function ruleNaming(rules: RetentionRules, version: RetainedVersion, archivedAbove: number, now: Date): string | undefined {
  const ageHours = (now.getTime() - Date.parse(version.updatedAt)) / HOUR_MS;
  const { keepArchived, deleteArchivedAfterDays: days, abandonedUploadsAfterHours: hours } = rules;
  if (version.stage === "Archived") {
    if (days !== undefined && ageHours >= days * 24) return `retention: deleteArchivedAfterDays ${days}`;
    if (keepArchived !== undefined && archivedAbove >= keepArchived) return `retention: keepArchived ${keepArchived}`;
  }
  if (version.stage === "None" && ABANDONED_STATUSES.has(version.status) && hours !== undefined && ageHours >= hours)
    return `retention: abandonedUploadsAfterHours ${hours}`;
  return undefined;
}
/** Why a version a rule names must stay, if it must. */
function neededBy(
  version: RetainedVersion,
  versions: readonly RetainedVersion[],
  staying: ReadonlySet<number>,
  aliases: Readonly<Record<string, number>>,
  restoredByRollback: number | undefined,
): string | undefined {
  if (version.protected) return "protected";
  // The incident path: a rollback must find the version it puts back.
  if (version.version === restoredByRollback) return "the version a rollback of Production puts back";
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
