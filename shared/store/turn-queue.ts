import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { endTurnUpdate, type ModelItem } from "./entities/model";
import { takeTicketUpdate } from "./entities/turn-tickets";
import { unlessConditionFails } from "./writes";

/**
 * Turns across processes. A model's commits are serial by nature (one revision, one version
 * counter): contenders that only retry collide again and again, and every lost attempt costs a
 * read and a transaction the winner waits behind. So a change takes a ticket first (an atomic
 * counter that never conflicts) and commits once the model item says every earlier ticket's turn
 * has ended (`served`, written by the commit that ends a turn). Tickets only order the attempts:
 * the revision condition still decides each commit, so a holder that dies or stalls costs the ones
 * behind it a wait (they go once the queue stops moving), never a lost or doubled write.
 */

export interface TurnContext {
  readonly tableName: string;
  readonly dynamo: DynamoDBDocumentClient;
}

/** The queue's clock: sleeps and a monotonic `now` in milliseconds, as the retry policy's. */
export interface QueueClock {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** A queue that has not moved for this many turns has lost its head: the next in line goes anyway. */
const STALLED_TURNS = 4;
/** The two next in line read the model again at once: a turn that ends unseen leaves the model idle. */
const READING_AGAIN_AT_ONCE = 2;
/** The longest single wait, so a queue that speeds up is noticed. */
const MAX_WAIT_MS = 1_000;

export async function takeTicket(context: TurnContext, name: string): Promise<number> {
  const { Attributes } = await context.dynamo.send(new UpdateCommand({ ...takeTicketUpdate(name), TableName: context.tableName }));
  const issued = Attributes?.issued;
  if (typeof issued !== "number") throw new Error(`Taking a turn ticket of model '${name}' answered no ticket number`);
  return issued;
}

/** Ends turn `ticket` without a commit; false when a later turn had already ended (or the model is gone). */
export function endTurn(context: TurnContext, name: string, ticket: number): Promise<boolean> {
  return unlessConditionFails(context.dynamo.send(new UpdateCommand({ ...endTurnUpdate(name, ticket), TableName: context.tableName })));
}

export const servedOf = (model: ModelItem | undefined): number => model?.served ?? 0;

/** True when every ticket before `ticket` has had its turn, as `model` was read. */
export const isTurnOf = (ticket: number, model: ModelItem | undefined): boolean => servedOf(model) >= ticket - 1;

/**
 * Waits for `ticket`'s turn and answers the model as read when it came. A turn is guessed at first
 * as two reads (a turn's own read and its commit), capped by `arrivalMs` (how long the change took
 * to arrive: read and plan), then learnt from the queue's progress, its fastest turn seen, since
 * sleeping late only makes a turn look longer. A waiter sleeps half the turns ahead of it but the
 * last two, then reads again; the two next in line read again at once. It goes anyway once the
 * queue has not moved for STALLED_TURNS turns, or at `deadline`.
 */
export async function awaitTurn(
  clock: QueueClock,
  read: () => Promise<ModelItem | undefined>,
  ticket: number,
  arrivalMs: number,
  deadline: number,
): Promise<ModelItem | undefined> {
  const readStarted = clock.now();
  let model = await read();
  let served = servedOf(model);
  let movedAt = clock.now();
  let turn = Math.max(Math.min(arrivalMs, 2 * (movedAt - readStarted)), 1);
  const stalled = () => clock.now() - movedAt > STALLED_TURNS * Math.max(turn, arrivalMs);
  while (!isTurnOf(ticket, model) && !stalled() && clock.now() < deadline) {
    const waitingTurns = ticket - 1 - servedOf(model) - READING_AGAIN_AT_ONCE;
    if (waitingTurns > 0) await clock.sleep(Math.min((waitingTurns * turn) / 2, MAX_WAIT_MS));
    model = await read();
    if (servedOf(model) > served) {
      const now = clock.now();
      turn = Math.max(Math.min(turn, (now - movedAt) / (servedOf(model) - served)), 1);
      served = servedOf(model);
      movedAt = now;
    }
  }
  return model;
}
