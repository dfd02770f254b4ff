import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { MetricsRecorder } from "../metrics";
import { HISTORY_ENTITY } from "../store/outbox";
import type { DeadLetter, DeadLetterQueue } from "./dead-letters";
import type { EventBus } from "./event-bus";
import { toModelEvent } from "./model-events";

export interface PublisherDeps {
  readonly bus: EventBus;
  readonly deadLetters: DeadLetterQueue;
  readonly busName: string;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Retried, dead-lettered and undelivered events are counted here (default: not at all). */
  readonly metrics?: MetricsRecorder;
}

interface Pending {
  readonly record: DynamoDBRecord;
  readonly letter: DeadLetter;
}

/**
 * Announces the changes committed in one batch of stream records (the transactional outbox).
 * 1. turn each new history item into its event; other records and actions publish nothing;
 * 2. PutEvents in batches within the limits, putting failed entries again with backoff;
 * 3. send what still failed, and history items that cannot be read, to the dead-letter queue
 *    with the error: such a record counts as handled (the alarm on the queue calls a human);
 * 4. report only the records that could not even be dead-lettered as batch item failures,
 *    so the stream hands them (and the records after them) to the function again.
 */
export async function publishChanges(deps: PublisherDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  const events: { record: DynamoDBRecord; entry: PutEventsRequestEntry }[] = [];
  const letters: Pending[] = [];
  for (const record of records.filter(isNewHistoryItem)) {
    try {
      const entry = toModelEvent(unmarshall(record.dynamodb?.NewImage as Record<string, AttributeValue>), deps.busName);
      if (entry) events.push({ record, entry });
    } catch (error) {
      // Reading an item again gives the same answer: retrying the record cannot help.
      letters.push({
        record,
        letter: deadLetter(deps, record, "MalformedHistoryItem", describe(error), 0, { image: record.dynamodb?.NewImage }),
      });
    }
  }

  const { failures, retried } = await deps.bus.put(events.map((e) => e.entry));
  for (const [index, failure] of failures) {
    const { record, entry } = events[index] as (typeof events)[number];
    letters.push({ record, letter: deadLetter(deps, record, "PutEventsFailed", failure, failure.attempts, { event: entry }) });
  }

  const undelivered = await sendLetters(deps, letters);
  const deadLettered = letters.length - undelivered.length;
  deps.metrics?.record("EventsRetried", retried);
  deps.metrics?.record("EventsDeadLettered", deadLettered);
  deps.metrics?.record("EventsUndelivered", undelivered.length);
  deps.logger.info("Published committed changes", {
    records: records.length,
    events: events.length - failures.size,
    retried,
    deadLettered,
    failed: undelivered.length,
  });
  return { batchItemFailures: undelivered.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? "" })) };
}

/** The event source mapping filters on this too; checking again keeps a misconfigured filter from dead-lettering other items. */
function isNewHistoryItem(record: DynamoDBRecord): boolean {
  return record.eventName === "INSERT" && record.dynamodb?.NewImage?.entity?.S === HISTORY_ENTITY;
}

/** Sends every letter; returns the records whose letter could not be sent. */
async function sendLetters(deps: PublisherDeps, letters: readonly Pending[]): Promise<DynamoDBRecord[]> {
  const sent = await Promise.allSettled(letters.map(({ letter }) => deps.deadLetters.send(letter)));
  return letters.flatMap(({ record, letter }, i) => {
    const outcome = sent[i] as PromiseSettledResult<void>;
    if (outcome.status === "fulfilled") {
      deps.logger.warn("Event sent to the dead-letter queue", {
        reason: letter.reason,
        error: letter.error,
        sequenceNumber: letter.record.sequenceNumber,
      });
      return [];
    }
    deps.logger.error("Event could not be dead-lettered; the stream will deliver its record again", {
      reason: letter.reason,
      error: letter.error,
      sequenceNumber: letter.record.sequenceNumber,
      dlqError: describe(outcome.reason),
    });
    return [record];
  });
}

function deadLetter(
  deps: PublisherDeps,
  record: DynamoDBRecord,
  reason: DeadLetter["reason"],
  error: { code: string; message: string },
  attempts: number,
  payload: Pick<DeadLetter, "event" | "image">,
): DeadLetter {
  return {
    reason,
    error: { code: error.code, message: error.message },
    attempts,
    record: { eventID: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber, eventSourceARN: record.eventSourceARN },
    item: unmarshall((record.dynamodb?.Keys ?? {}) as Record<string, AttributeValue>) as DeadLetter["item"],
    ...payload,
    failedAt: deps.now().toISOString(),
  };
}

function describe(error: unknown): { code: string; message: string } {
  return error instanceof Error ? { code: error.name, message: error.message } : { code: "Error", message: String(error) };
}
