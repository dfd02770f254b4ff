import { TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import type { Actor } from "../domain/actor";
import type { HistoryDraft } from "../domain/history";
import { ConcurrencyExhaustedError, ModelBeingDeletedError } from "../domain/errors";
import { isBeingDeleted, isDeleted, modelFromItem, modelKey, type ModelItem } from "./entities/model";
import { appendHistory, newHistoryItem, type HistoryItem } from "./entities/history";
import { checkpointDue, newCheckpointItem, writeCheckpoint } from "./entities/checkpoint";
import { allOf, expect, inTable, type Write } from "./writes";
import { readItem } from "./item-reader";
import type { Turns } from "./turns";
import { awaitTurn, endTurn, isTurnOf, servedOf, takeTicket } from "./turn-queue";

/**
 * A write that rides along with the model's own. `conflict` says what its condition failing means
 * (a taken label, a stale occupant): the change then ends with that conflict instead of retrying.
 * Without it, a failed condition is contention, and the change re-plans.
 */
export interface GuardedWrite<C = never> {
  readonly write: Write;
  readonly conflict?: C;
}

/** "Commit these writes with this history, and answer this": the model's next state decided from the model item as read. */
export interface Commit<T, C = never> {
  readonly model: ModelItem;
  readonly writes?: readonly GuardedWrite<C>[];
  readonly history: readonly HistoryDraft[];
  readonly result: (committed: { model: ModelItem; history: readonly HistoryItem[] }) => T;
}

/** "Nothing to write, here is the answer" (e.g. another request already made the change). */
export interface Unchanged<T> {
  readonly unchanged: T;
}

export const unchanged = <T>(answer: T): Unchanged<T> => ({ unchanged: answer });

export type ModelChangePlan<T, C = never> = Commit<T, C> | Unchanged<T>;

/**
 * Decides a change from the model as read; may read more (e.g. the version it changes) and is re-run on contention.
 * A deleted model's tombstone reads as no model; a model being deleted reaches only its deletion's planner.
 */
export type ModelChangePlanner<T, C = never> = (
  current: ModelItem | undefined,
  now: string,
) => ModelChangePlan<T, C> | Promise<ModelChangePlan<T, C>>;

/** How a change ended: with its answer, or with the conflict a guarded write's failed condition names. */
export type ChangeOutcome<T, C> = { readonly answer: T } | { readonly conflict: C };

/** An attempt that met contention: its number, how long it took (read, plan, commit), and the wait before it (0: none). */
export interface Contention {
  readonly attempt: number;
  readonly attemptMs: number;
  readonly previousMs: number;
}

/** How long to keep re-planning under contention, and how long to wait between attempts. */
export interface RetryPolicy {
  readonly deadlineMs: number;
  readonly backoffMs: (contention: Contention) => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds on any monotonic scale: the deadline and each attempt's duration are measured with it. */
  readonly now: () => number;
}

const MAX_BACKOFF_MS = 2_000;

/**
 * Decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a wait drawn
 * between one attempt's duration and three times the previous wait, capped at 2 s. Its unit is the
 * contended attempt's own duration, about how long a winner holds the model: on a slow table the
 * contenders spread as widely, relative to a commit, as on a fast one.
 */
export const decorrelatedJitter =
  (random: () => number) =>
  ({ attemptMs, previousMs }: Contention): number => {
    const upper = 3 * Math.max(attemptMs, previousMs);
    return Math.min(MAX_BACKOFF_MS, attemptMs + random() * (upper - attemptMs));
  };

/** Up to 25 s (API Gateway waits 30), decorrelated jitter scaled by the measured attempt, capped at 2 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  deadlineMs: 25_000,
  backoffMs: decorrelatedJitter(Math.random),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => performance.now(),
};

/** One report of the commit engine: which model, which attempt, and how that attempt ended. */
export interface ChangeReport {
  readonly outcome: "conflict" | "retry" | "gaveUp" | "turnLeftOpen";
  readonly model: string;
  readonly attempt: number;
  readonly [detail: string]: unknown;
}

/** Where retries and conflicts are reported (the composition root logs and counts them). */
export interface ChangeLog {
  info(message: string, report: ChangeReport): void;
  warn(message: string, report: ChangeReport): void;
}

export const SILENT_LOG: ChangeLog = { info: () => undefined, warn: () => undefined };

export interface ChangeContext {
  readonly tableName: string;
  readonly dynamo: DynamoDBDocumentClient;
  readonly who: Actor;
  readonly now: () => Date;
  readonly newEventId: () => string;
  readonly retry: RetryPolicy;
  /** This process's commits to each model, one at a time. */
  readonly turns: Turns;
  readonly log: ChangeLog;
  /** A checkpoint of the model's stages and aliases rides with the commit that passes each multiple of this many entries. */
  readonly checkpointInterval: number;
  /** This change is a step of the model's deletion: it goes on while the model is DELETING, which refuses every other change. */
  readonly continuesDeletion?: boolean;
}

/**
 * Commits one change of a model as a single TransactWriteItems:
 * 1. read the model item (strongly consistent): a model being deleted refuses the change (409
 *    ModelBeingDeleted) unless it is a step of that deletion; a tombstone is planned on as no model;
 * 2. let `plan` decide: unchanged (answer at once), or the model's next state, the other writes and
 *    the history entries, stamped no earlier than the model's last commit;
 * 3. take this process's turn for the model, then a ticket in the model's queue of turns across
 *    processes (store/turn-queue.ts); with changes ahead, wait for them, then re-read and re-plan,
 *    rather than commit a plan they are about to make stale;
 * 4. write all of it at once, the model item bumping its `revision` and conditioned on the one that
 *    was read, so every change of one model is serialised, and history is numbered without gaps;
 *    the model item records the turn as ended; a commit whose history passes a multiple of the
 *    checkpoint interval writes a checkpoint too;
 * 5. a guarded write's named conflict ends the change with that conflict; contention (another
 *    process changed the model or an unnamed condition meanwhile) re-reads and re-plans, at once the
 *    first time (the winner has committed), then after each of the retry policy's waits, until the deadline.
 *    A turn that ends without a commit is recorded as ended on its own.
 */
export async function commitModelChange<T, C>(
  context: ChangeContext,
  name: string,
  plan: ModelChangePlanner<T, C>,
): Promise<ChangeOutcome<T, C>> {
  const deadline = context.retry.now() + context.retry.deadlineMs;
  const onArrival = await readAndPlan(context, name, plan);
  if ("answer" in onArrival) return onArrival;
  return context.turns.take(name, async (waited) => {
    const ticket = await takeTicket(context, name);
    let committed = false;
    try {
      let planned =
        waited || !isTurnOf(ticket, onArrival.planned.current)
          ? await planOnTurn(context, name, plan, ticket, onArrival.planned, deadline)
          : onArrival;
      let previousMs = 0;
      for (let attempt = 0; "planned" in planned; attempt++) {
        const outcome = await commit(context, name, planned.planned, attempt, ticket);
        if (!("contention" in outcome)) {
          committed = "answer" in outcome;
          return outcome;
        }
        reportContention(context, name, outcome, deadline);
        if (attempt > 0) {
          previousMs = context.retry.backoffMs({ attempt, attemptMs: outcome.attemptMs, previousMs });
          await context.retry.sleep(previousMs);
        }
        planned = await readAndPlan(context, name, plan);
      }
      return planned;
    } finally {
      if (!committed) await endTurnWithoutCommit(context, name, ticket);
    }
  });
}

/** Waits for the ticket's turn in the model's queue, then plans on the model as read when it came. */
async function planOnTurn<T, C>(
  context: ChangeContext,
  name: string,
  plan: ModelChangePlanner<T, C>,
  ticket: number,
  onArrival: Planned<T, C>,
  deadline: number,
): Promise<PlanOutcome<T, C>> {
  const arrivalMs = context.retry.now() - onArrival.started;
  const current = await awaitTurn(context.retry, () => readModel(context, name), ticket, arrivalMs, deadline);
  return planChange(context, name, plan, current, context.retry.now());
}

/** Records the turn as ended: a failure only makes the tickets behind wait for the queue to count as stalled. */
async function endTurnWithoutCommit(context: ChangeContext, name: string, ticket: number): Promise<void> {
  try {
    await endTurn(context, name, ticket);
  } catch (error) {
    context.log.warn("Model change could not record its turn as ended: later changes wait for the queue to stall", {
      outcome: "turnLeftOpen",
      model: name,
      attempt: 0,
      requestId: context.who.requestId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * A change decided from the model as read (`current`), ready to commit; `started` is when the read
 * began (on a turn that had to wait: when the turn came). The model's own write is built at
 * commit, when its turn ticket is known.
 */
interface Planned<T, C> {
  readonly current: ModelItem | undefined;
  readonly model: ModelItem;
  readonly writes: readonly Write[];
  readonly guarded: readonly GuardedWrite<C>[];
  readonly answer: () => T;
  readonly started: number;
}

type PlanOutcome<T, C> = { answer: T } | { planned: Planned<T, C> };

/** A commit that met contention: the reason DynamoDB gave, and how long its read, plan and commit took. */
interface Contended {
  readonly contention: unknown;
  readonly attempt: number;
  readonly attemptMs: number;
}

/** Reads the model and plans on it. */
async function readAndPlan<T, C>(context: ChangeContext, name: string, plan: ModelChangePlanner<T, C>): Promise<PlanOutcome<T, C>> {
  const started = context.retry.now();
  return planChange(context, name, plan, await readModel(context, name), started);
}

/** Plans on the model as read since `started`: the answer when the plan says unchanged, else the writes to commit. */
async function planChange<T, C>(
  context: ChangeContext,
  name: string,
  plan: ModelChangePlanner<T, C>,
  stored: ModelItem | undefined,
  started: number,
): Promise<PlanOutcome<T, C>> {
  if (stored && isBeingDeleted(stored) && !context.continuesDeletion) throw new ModelBeingDeletedError(name);
  const now = context.now().toISOString();
  const decided = await plan(stored && !isDeleted(stored) ? stored : undefined, now);
  if ("unchanged" in decided) return { answer: decided.unchanged };
  // Sequence, revision, served ticket and lock carry on from the stored item, a tombstone too: the name's history never forks.
  const { model, history } = stamped(context, name, stored, decided, now);
  const guarded = decided.writes ?? [];
  const writes = [...guarded.map((g) => g.write), ...history.map(appendHistory), ...checkpoint(context, stored, model)];
  return { planned: { current: stored, model, writes, guarded, answer: () => decided.result({ model, history }), started } };
}

/** Commits a planned change in turn `ticket`: its answer, the conflict a failed guarded write names, or the contention that defeated it. */
async function commit<T, C>(
  context: ChangeContext,
  name: string,
  planned: Planned<T, C>,
  attempt: number,
  ticket: number,
): Promise<ChangeOutcome<T, C> | Contended> {
  const model = { ...planned.model, served: Math.max(servedOf(planned.current), ticket) };
  try {
    await context.dynamo.send(
      new TransactWriteCommand({
        TransactItems: [modelWrite(model, planned.current), ...planned.writes].map((write) => inTable(context.tableName, write)),
      }),
    );
    return { answer: planned.answer() };
  } catch (error) {
    const failed = failedGuard(error, planned.guarded);
    if (failed) {
      context.log.info("Model change refused: a guarded write's condition failed", {
        outcome: "conflict",
        model: name,
        attempt,
        requestId: context.who.requestId,
        conflict: failed.conflict,
      });
      return { conflict: failed.conflict };
    }
    if (!isContention(error)) throw error;
    return { contention: error, attempt, attemptMs: context.retry.now() - planned.started };
  }
}

/** Logs a contended attempt as a retry, or gives up (409 ConcurrentModification) once past the deadline. */
function reportContention(context: ChangeContext, name: string, { contention, attempt }: Contended, deadline: number): void {
  if (context.retry.now() > deadline) {
    context.log.warn("Model change gave up: contention outlasted the retry deadline", {
      outcome: "gaveUp",
      model: name,
      attempt,
      requestId: context.who.requestId,
      deadlineMs: context.retry.deadlineMs,
    });
    throw new ConcurrencyExhaustedError(`Changing model '${name}'`);
  }
  context.log.info("Model change contended; re-planning", {
    outcome: "retry",
    model: name,
    attempt,
    requestId: context.who.requestId,
    reasons: cancellationCodes(contention),
  });
}

export const readModel = (context: Pick<ChangeContext, "dynamo" | "tableName">, name: string): Promise<ModelItem | undefined> =>
  readItem(context, modelKey(name), modelFromItem);

/**
 * The model's next state and the numbered history entries, stamped with the commit's instant: the clock's
 * reading `now`, or the previous commit's if that is later (another process's clock ahead of this one's),
 * so that history's instants follow its sequence, as a replay to an instant reads them.
 */
function stamped<T, C>(context: ChangeContext, name: string, current: ModelItem | undefined, decided: Commit<T, C>, now: string) {
  const sequence = current?.historySequence ?? 0;
  const occurredAt = current && current.updatedAt > now ? current.updatedAt : now;
  const history = decided.history.map((draft, i) =>
    newHistoryItem(draft, {
      model: name,
      sequence: sequence + i + 1,
      eventId: context.newEventId(),
      actor: context.who.actor,
      requestId: context.who.requestId,
      occurredAt,
    }),
  );
  const model: ModelItem = {
    ...decided.model,
    revision: (current?.revision ?? 0) + 1,
    historySequence: sequence + history.length,
    updatedAt: occurredAt,
  };
  return { model, history };
}

/** The checkpoint write, last in the transaction (so guarded writes keep their places), when this commit is due one. */
function checkpoint(context: ChangeContext, current: ModelItem | undefined, model: ModelItem): Write[] {
  const due = checkpointDue(current?.historySequence ?? 0, model.historySequence, context.checkpointInterval);
  return due ? [writeCheckpoint(newCheckpointItem(model))] : [];
}

/**
 * Invariant: nobody changed the model since we read it (else counters and sequences would fork).
 * An item from before revisions is pinned by its history sequence, and by having no revision yet.
 */
function modelWrite(model: ModelItem, current: ModelItem | undefined): Write {
  if (!current) return { Put: { Item: model, ...expect("pk", null) } };
  if (current.revision === undefined)
    return {
      Put: {
        Item: model,
        ...allOf(expect("revision", null, { absent: "attribute" }), expect("historySequence", current.historySequence, { as: ":seen" })),
      },
    };
  return { Put: { Item: model, ...expect("revision", current.revision, { as: ":seen" }) } };
}

/**
 * The first guarded write, in transaction order, whose own condition failed and which names its conflict;
 * none when the model's condition failed (that is contention).
 */
function failedGuard<C>(error: unknown, guarded: readonly GuardedWrite<C>[]): { conflict: C } | undefined {
  const codes = cancellationCodes(error);
  if (codes.length === 0 || codes[0] === "ConditionalCheckFailed") return undefined;
  const failed = guarded.find((g, i) => g.conflict !== undefined && codes[i + 1] === "ConditionalCheckFailed");
  return failed?.conflict === undefined ? undefined : { conflict: failed.conflict };
}

/** Why DynamoDB cancelled a transaction, one code per write in order; none for any other error. */
export function cancellationCodes(error: unknown): (string | undefined)[] {
  return error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((reason) => reason.Code) : [];
}

function isContention(error: unknown): boolean {
  if (error instanceof TransactionCanceledException)
    return cancellationCodes(error).some((code) => code === "ConditionalCheckFailed" || code === "TransactionConflict");
  return error instanceof Error && error.name === "TransactionConflictException";
}
