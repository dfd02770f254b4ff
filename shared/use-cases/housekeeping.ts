import type { HousekeepingSettings } from "../config";
import { ModelNotFoundError, VersionInUseError, VersionNotFoundError } from "../domain/errors";
import { hasRules, planRetention, type RetentionDeletion, type RetentionPlan, type RetentionRules } from "../domain/retention";
import type { ModelItem } from "../store/entities/model";
import type { VersionItem } from "../store/entities/version";
import type { RetentionPreview } from "../schemas/retention";
import { deleteVersion, type DeletionRule } from "./delete-version";
import type { RetentionRuns } from "../store/retention-runs";
import type { Actor, RemovalDeps, RetentionDeps } from "./deps";
import { requireModel } from "./resolve";
import { rollbackSource } from "./rollback-production";
import { decodeCursor, encodeCursor, fittingLength, invalidCursor } from "../store/pages";

/** Who every housekeeping deletion is recorded as (with the run's id as its request). */
/** What a housekeeping run uses: retention's reads, its queue and records, and what deleting versions reads. */
export type HousekeepingDeps = RemovalDeps & RetentionDeps & { readonly retentionRuns: RetentionRuns };

export const HOUSEKEEPING_ACTOR = "housekeeping";

export interface ModelHousekeeping {
  readonly model: string;
  readonly deleted: readonly RetentionDeletion[];
  /** Set when applying the rules failed; the model stays first in the queue for the next run. */
  readonly failure?: string;
}

export interface HousekeepingRun {
  readonly models: readonly ModelHousekeeping[];
}

/**
 * What the next run would delete from a model, and which versions a rule names but something keeps
 * (docs/lifecycle.md, Retention): the same plan the run decides from, read now, one page of it:
 * 1. read the model (404 when absent), its rules and every version, and plan;
 * 2. of the verdicts below the cursor's version, highest version first, at most `limit` (every one
 *    without) and as many as fit a page's bytes (a model of thousands of versions has more than one
 *    answer holds), with a cursor to the rest.
 */
export async function previewRetention(
  deps: RetentionDeps,
  name: string,
  page: { limit?: number; cursor?: string } = {},
  now = new Date(),
): Promise<RetentionPreview> {
  const model = await requireModel(deps, name);
  const { rules, plan, versions } = await planFor(deps, model, now);
  const byNumber = new Map(versions.map((v) => [v.version, v]));
  const described = <V extends RetentionDeletion>(verdict: V) => {
    const version = byNumber.get(verdict.version) as VersionItem;
    return { ...verdict, stage: version.stage, status: version.status };
  };
  const [deletions, spared] = [plan.deletions.map(described), plan.spared.map(described)];
  const scope = `retention-preview:${name}`;
  const below = page.cursor === undefined ? Number.POSITIVE_INFINITY : versionOfCursor(scope, page.cursor);
  const remaining = [...deletions, ...spared].filter((verdict) => verdict.version < below).sort((a, b) => b.version - a.version);
  const fitting = fittingLength(remaining, page.limit);
  const last = remaining[fitting - 1]?.version ?? below;
  const onPage = ({ version }: RetentionDeletion) => version < below && version >= last;
  return {
    model: name,
    rules,
    deletions: deletions.filter(onPage),
    spared: spared.filter(onPage),
    ...(fitting < remaining.length && { nextCursor: encodeCursor(scope, { version: String(last) }) }),
  };
}

/** The version a preview's cursor continues below: the last one its previous page held. */
function versionOfCursor(scope: string, cursor: string): number {
  const key = decodeCursor(scope, cursor) ?? {};
  if (Object.keys(key).length !== 1 || !/^[1-9]\d{0,9}$/.test(key.version ?? "")) throw invalidCursor();
  return Number(key.version);
}

/**
 * One housekeeping run:
 * 1. take up to `modelsPerRun` models with retention rules, least recently applied first;
 * 2. for each, plan from its versions as they are, and delete up to `versionsPerModel` of the plan's
 *    deletions, highest version first, each through deleteVersion (one transaction with its history
 *    entry naming the rule, reference counts, the object and an open multipart upload after it),
 *    each confirmed against the model as its commit reads it: a version promoted, restored, aliased,
 *    protected or made a parent meanwhile stays;
 * 3. stamp the model as applied, which sends it to the end of the queue. A model that failed is not
 *    stamped: the next run tries it first.
 */
export async function runHousekeeping(deps: HousekeepingDeps, limits: HousekeepingSettings, runId: string): Promise<HousekeepingRun> {
  const who: Actor = { actor: HOUSEKEEPING_ACTOR, requestId: runId };
  const queue = await deps.retentionRuns.retentionQueue(limits.modelsPerRun);
  const models: ModelHousekeeping[] = [];
  for (const { model } of queue) {
    try {
      const deleted = await applyRetention(deps, model, limits.versionsPerModel, who);
      await deps.retentionRuns.stampRetentionApplied(model, new Date().toISOString());
      models.push({ model, deleted });
    } catch (error) {
      models.push({ model, deleted: [], failure: error instanceof Error ? error.message : String(error) });
    }
  }
  return { models };
}

/** Deletes up to `limit` versions the model's rules name now; those that stopped being due meanwhile are left. */
async function applyRetention(deps: HousekeepingDeps, name: string, limit: number, who: Actor): Promise<RetentionDeletion[]> {
  const now = new Date();
  const model = await deps.store.getModel(name);
  if (!model) return [];
  const { plan } = await planFor(deps, model, now);
  const deleted: RetentionDeletion[] = [];
  for (const due of plan.deletions.slice(0, limit)) {
    if (await deleteIfStillDue(deps, name, due, who, now)) deleted.push(due);
  }
  return deleted;
}

/** Raised inside a deletion's plan when the rule no longer names the version. */
class NoLongerDueError extends Error {}

async function deleteIfStillDue(deps: HousekeepingDeps, name: string, due: RetentionDeletion, who: Actor, now: Date): Promise<boolean> {
  const rule: DeletionRule = {
    reason: due.reason,
    confirm: async (version, model) => {
      const { plan } = await planFor(deps, model, now);
      if (!plan.deletions.some((d) => d.version === version.version && d.reason === due.reason)) throw new NoLongerDueError();
    },
  };
  try {
    await deleteVersion(deps, name, { number: due.version }, who, rule);
    return true;
  } catch (error) {
    if (isNoLongerDue(error)) return false;
    throw error;
  }
}

/** Someone got there first: the version moved into use, was deleted, or its model went. */
const isNoLongerDue = (error: unknown) =>
  error instanceof NoLongerDueError ||
  error instanceof VersionInUseError ||
  error instanceof VersionNotFoundError ||
  error instanceof ModelNotFoundError;

const NOTHING_DUE: RetentionPlan = { deletions: [], spared: [] };

/** The model's rules, every version (strongly consistent) and what the rules make of them with the model's aliases and rollback target. */
async function planFor(deps: RetentionDeps, model: ModelItem, now: Date) {
  const [retention, versions, rollback] = await Promise.all([
    deps.retentionReads.getRetention(model.name),
    deps.retentionReads.allVersions(model.name),
    rollbackSource(deps.promotionReads, model),
  ]);
  const rules: RetentionRules = retention?.rules ?? {};
  const plan = hasRules(rules) ? planRetention(rules, versions, model.aliases, now, rollback.version) : NOTHING_DUE;
  return { rules, plan, versions };
}
