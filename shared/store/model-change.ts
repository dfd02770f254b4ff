import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { ConcurrencyExhaustedError, type DomainError } from "../domain/errors";
import { modelKey, type ModelItem } from "./entities/model";
import { newHistoryItem, type HistoryDraft, type HistoryItem } from "./entities/history";

export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

/** A write that rides along with the model's own; `onConflict` explains its condition failing to the caller (it may re-read to say what is there now). */
export interface GuardedWrite {
  readonly write: TransactItem;
  readonly onConflict?: () => DomainError | Promise<DomainError>;
}

/** What a change of one model writes, decided from the model item as it was read. */
export interface ModelChangePlan<T> {
  readonly model: ModelItem;
  readonly writes?: readonly GuardedWrite[];
  readonly history: readonly HistoryDraft[];
  readonly result: (committed: { model: ModelItem; history: readonly HistoryItem[] }) => T;
}

/** Decides a change from the model as read; may read more (e.g. the version it changes) and is re-run on conflict. */
export type ModelChangePlanner<T> = (current: ModelItem | undefined, now: string) => ModelChangePlan<T> | Promise<ModelChangePlan<T>>;

export interface ChangeContext {
  readonly tableName: string;
  readonly dynamo: DynamoDBDocumentClient;
  readonly actor: string;
  readonly requestId: string;
  readonly now: () => Date;
  readonly newEventId: () => string;
}

const RETRY_WINDOW_MS = 25_000;

/**
 * Commits one change of a model as a single TransactWriteItems:
 * 1. read the model item (strongly consistent);
 * 2. let `plan` decide the model's next state, the other writes and the history entries;
 * 3. write all of it at once, the model item conditioned on the history sequence that was read,
 *    so changes of one model are serialised and numbered without gaps;
 * 4. if another change got in first, read again and re-plan, with jittered backoff.
 */
export async function commitModelChange<T>(
  context: ChangeContext,
  name: string,
  plan: ModelChangePlanner<T>,
): Promise<T> {
  const deadline = Date.now() + RETRY_WINDOW_MS;
  for (let attempt = 0; ; attempt++) {
    const current = await readModel(context, name);
    const now = context.now().toISOString();
    const decided = await plan(current, now);
    const history = decided.history.map((draft, i) =>
      newHistoryItem(draft, {
        model: name,
        sequence: (current?.historySequence ?? 0) + i + 1,
        eventId: context.newEventId(),
        actor: context.actor,
        requestId: context.requestId,
        occurredAt: now,
      }),
    );
    const model: ModelItem = { ...decided.model, historySequence: (current?.historySequence ?? 0) + history.length, updatedAt: now };
    const guarded = decided.writes ?? [];
    try {
      await context.dynamo.send(
        new TransactWriteCommand({
          TransactItems: [modelWrite(context.tableName, model, current), ...guarded.map((g) => g.write), ...history.map((item) => historyWrite(context.tableName, item))],
        }),
      );
      return decided.result({ model, history });
    } catch (error) {
      const conflict = await explainCancellation(error, guarded);
      if (conflict) throw conflict;
      if (!isRetryable(error) || Date.now() > deadline) {
        if (isRetryable(error)) throw new ConcurrencyExhaustedError(`Changing model '${name}'`);
        throw error;
      }
      await backoff(attempt);
    }
  }
}

export async function readModel(context: Pick<ChangeContext, "dynamo" | "tableName">, name: string): Promise<ModelItem | undefined> {
  const { Item } = await context.dynamo.send(new GetCommand({ TableName: context.tableName, Key: modelKey(name), ConsistentRead: true }));
  return Item as ModelItem | undefined;
}

function modelWrite(tableName: string, model: ModelItem, current: ModelItem | undefined): TransactItem {
  // Invariant: nobody changed the model since we read it (else sequences and counters would fork).
  return current
    ? { Put: { TableName: tableName, Item: model, ConditionExpression: "historySequence = :seen", ExpressionAttributeValues: { ":seen": current.historySequence } } }
    : { Put: { TableName: tableName, Item: model, ConditionExpression: "attribute_not_exists(pk)" } };
}

function historyWrite(tableName: string, item: HistoryItem): TransactItem {
  // Invariant: history is append-only; an entry is never overwritten.
  return { Put: { TableName: tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" } };
}

/** A guarded write's own condition failing is the caller's problem (a taken label, a stale occupant), not contention. */
async function explainCancellation(error: unknown, guarded: readonly GuardedWrite[]): Promise<DomainError | undefined> {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const reasons = error.CancellationReasons ?? [];
  if (reasons[0]?.Code === "ConditionalCheckFailed") return undefined;
  for (const [i, g] of guarded.entries()) {
    if (reasons[i + 1]?.Code === "ConditionalCheckFailed" && g.onConflict) return g.onConflict();
  }
  return undefined;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict");
  }
  return error instanceof Error && error.name === "TransactionConflictException";
}

async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 25 * 2 ** Math.min(attempt, 7));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
