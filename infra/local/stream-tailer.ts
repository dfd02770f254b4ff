import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { localCredentials } from "./engines";
import { matchesPattern, type EventPattern } from "./event-pattern";

/**
 * The local stand-in for a Lambda event source mapping on the table's stream: it polls DynamoDB
 * Local's stream (DescribeTable → LatestStreamArn, DescribeStream → shards, GetShardIterator,
 * GetRecords every `pollIntervalMs`), keeps the records the mapping's filter keeps, and hands
 * them to a handler as a DynamoDBStreamEvent. Like Lambda with ReportBatchItemFailures, it
 * delivers again from the lowest failed sequence number, with backoff, until the handler takes it.
 *
 * Where it starts: after the sequence number in `checkpointFile` for shards it has seen before,
 * TRIM_HORIZON for new shards (and on a first start); so a restart of `npm start` neither
 * replays events nor loses the ones committed just before it stopped. The checkpoint is saved
 * after every batch the handler takes, and a batch is `batchSize` records (default 10, one
 * PutEvents call), not the 100 a GetRecords call may return: a process killed mid-batch
 * publishes again at most the events of that one batch when it restarts.
 */

// biome-ignore lint/suspicious/noConfusingVoidType: the same return type as aws-lambda's Handler, so a handler returning nothing fits
export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamTailerOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
  readonly handler: StreamHandler;
  /** The event source mapping's filter (Lambda filter syntax is EventBridge pattern syntax). */
  readonly filter?: EventPattern;
  readonly checkpointFile?: string;
  readonly pollIntervalMs?: number;
  /** Records handed to the handler at a time, the checkpoint saved after each batch. Default 10. */
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
}

export interface RunningTailer {
  readonly streamArn: string;
  /** Finishes the batch in hand, saves the checkpoint, and stops polling. */
  stop(): Promise<void>;
}

interface Shard {
  readonly id: string;
  readonly parentId?: string;
  iterator?: string;
  /** Records read but not yet taken by the handler. */
  pending: StreamRecord[];
  /** The stream gave no next iterator: once `pending` is empty, the shard is finished. */
  closed: boolean;
  failures: number;
  retryAt: number;
}

const SHARD_REFRESH_MS = 1_000;
const RECORDS_PER_READ = 100;
const MAX_RETRY_DELAY_MS = 5_000;

export async function startStreamTailer(options: StreamTailerOptions): Promise<RunningTailer> {
  const clientConfig = { region: options.region, endpoint: options.endpoint, credentials: localCredentials };
  const dynamodb = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const log = options.log ?? ((line: string) => console.error(`[stream] ${line}`));
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 10;

  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream; the outbox needs one (tableDefinition.streamView).`);
  const checkpoint = await loadCheckpoint(options.checkpointFile, streamArn);
  const shards = new Map<string, Shard>();
  let nextRefresh = 0;
  let stopped = false;

  async function refreshShards(): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      for (const { ShardId: id, ParentShardId: parentId } of StreamDescription?.Shards ?? []) {
        if (id && !shards.has(id)) shards.set(id, { id, parentId, pending: [], closed: false, failures: 0, retryAt: 0 });
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  /** As Lambda does: a child shard waits until its parent is read to the end, so a key's records stay in order. */
  function isReady(shard: Shard): boolean {
    const parent = shard.parentId ? shards.get(shard.parentId) : undefined;
    return (
      !(shard.closed && shard.pending.length === 0) &&
      (!parent || (parent.closed && parent.pending.length === 0)) &&
      Date.now() >= shard.retryAt
    );
  }

  async function iteratorFor(shard: Shard): Promise<string | undefined> {
    const after = checkpoint.shards[shard.id];
    const request = { StreamArn: streamArn, ShardId: shard.id };
    try {
      const input = after
        ? { ...request, ShardIteratorType: "AFTER_SEQUENCE_NUMBER" as const, SequenceNumber: after }
        : { ...request, ShardIteratorType: "TRIM_HORIZON" as const };
      return (await streams.send(new GetShardIteratorCommand(input))).ShardIterator;
    } catch (error) {
      if (!(error instanceof TrimmedDataAccessException)) throw error;
      log(`Shard ${shard.id}: the checkpoint is older than the stream's retention; reading from the oldest record.`);
      return (await streams.send(new GetShardIteratorCommand({ ...request, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
    }
  }

  async function poll(shard: Shard): Promise<void> {
    if (shard.pending.length === 0) {
      shard.iterator ??= await iteratorFor(shard);
      if (!shard.iterator) return void (shard.closed = true);
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: RECORDS_PER_READ }),
      );
      shard.iterator = NextShardIterator;
      shard.closed = !NextShardIterator;
      shard.pending = Records;
    }
    let failed = false;
    // On stop, the batch in hand is finished; the records after it are read again from the checkpoint.
    while (shard.pending.length > 0 && !failed && !stopped) {
      const batch = shard.pending.slice(0, batchSize);
      const taken = await deliver(batch);
      await advance(shard, batch.slice(0, taken));
      failed = taken < batch.length;
    }
    shard.failures = failed ? shard.failures + 1 : 0;
    shard.retryAt = failed ? Date.now() + Math.min(MAX_RETRY_DELAY_MS, pollIntervalMs * 2 ** shard.failures) : 0;
  }

  /** Drops the records the handler took from `pending` and saves the checkpoint past them. */
  async function advance(shard: Shard, taken: readonly StreamRecord[]): Promise<void> {
    const last = taken.at(-1)?.dynamodb?.SequenceNumber;
    shard.pending = shard.pending.slice(taken.length);
    if (!last) return;
    checkpoint.shards[shard.id] = last;
    await saveCheckpoint(options.checkpointFile, checkpoint);
  }

  /** Hands the filtered records to the handler; returns how many leading records are done with. */
  async function deliver(records: readonly StreamRecord[]): Promise<number> {
    const batch = records
      .map((record) => toLambdaRecord(record, streamArn as string))
      .filter((record) => !options.filter || matchesPattern(options.filter, record));
    if (batch.length === 0) return records.length;
    let failed: string[];
    try {
      const response = await options.handler({ Records: batch }, lambdaContext());
      failed = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    } catch (error) {
      log(`The handler failed on ${batch.length} records; delivering them again: ${String(error)}`);
      return 0;
    }
    if (failed.length === 0) return records.length;
    // Lambda resumes from the lowest failed sequence number; an identifier not in the batch fails it all.
    const positions = failed.map((id) => records.findIndex((record) => record.dynamodb?.SequenceNumber === id));
    return positions.includes(-1) ? 0 : Math.min(...positions);
  }

  const stopping = new AbortController();
  const running = (async () => {
    while (!stopped) {
      try {
        if (Date.now() >= nextRefresh) {
          await refreshShards();
          nextRefresh = Date.now() + SHARD_REFRESH_MS;
        }
        for (const shard of [...shards.values()].filter(isReady)) {
          if (stopped) break;
          await poll(shard).catch((error: unknown) => {
            // An iterator expires after 15 minutes unused; get a fresh one from the checkpoint.
            if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) shard.iterator = undefined;
            else throw error;
          });
        }
      } catch (error) {
        if (!stopped) log(`Reading the stream failed; trying again: ${String(error)}`);
      }
      await sleep(pollIntervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();

  return {
    streamArn,
    async stop() {
      stopped = true;
      stopping.abort();
      await running;
      dynamodb.destroy();
      streams.destroy();
    },
  };
}

/** The record as Lambda hands it over: the same fields, the time in epoch seconds, and the stream's ARN. */
function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  const images = { NewImage: record.dynamodb?.NewImage, OldImage: record.dynamodb?.OldImage, Keys: record.dynamodb?.Keys };
  const restored = Object.fromEntries(Object.entries(images).flatMap(([name, image]) => (image ? [[name, restoreEmptyMaps(image)]] : [])));
  return {
    ...record,
    eventSourceARN: streamArn,
    dynamodb: { ...record.dynamodb, ...restored, ApproximateCreationDateTime: created ? Math.floor(created.getTime() / 1000) : undefined },
  } as DynamoDBRecord;
}

/**
 * The SDK's GetRecords deserializer turns an empty map `{ M: {} }` into `{}`, which is no
 * AttributeValue at all; Lambda's stream events carry `{ M: {} }`. Put it back, at any depth.
 */
export function restoreEmptyMaps(image: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, restoreAttribute(value)]));
}

function restoreAttribute(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const attribute = value as { M?: Record<string, unknown>; L?: unknown[] };
  if (Object.keys(attribute).length === 0) return { M: {} };
  if (attribute.M) return { M: restoreEmptyMaps(attribute.M) };
  if (attribute.L) return { L: attribute.L.map(restoreAttribute) };
  return value;
}

function lambdaContext(): Context {
  return { functionName: "publisher", awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 60_000 } as Context;
}

interface Checkpoint {
  readonly streamArn: string;
  readonly shards: Record<string, string>;
}

/** A checkpoint of another stream (the table was created again) does not apply. */
async function loadCheckpoint(file: string | undefined, streamArn: string): Promise<Checkpoint> {
  const saved = file
    ? await readFile(file, "utf8").then(
        (text) => JSON.parse(text) as Checkpoint,
        () => undefined,
      )
    : undefined;
  return saved?.streamArn === streamArn ? saved : { streamArn, shards: {} };
}

async function saveCheckpoint(file: string | undefined, checkpoint: Checkpoint): Promise<void> {
  if (!file) return;
  await mkdir(dirname(file), { recursive: true });
  // Write then rename: a crash mid-write leaves the previous checkpoint, never half of one.
  await writeFile(`${file}.tmp`, JSON.stringify(checkpoint));
  await rename(`${file}.tmp`, file);
}
