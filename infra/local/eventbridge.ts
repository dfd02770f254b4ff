import { createHash, randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { entrySize, MAX_BYTES_PER_CALL, MAX_ENTRIES_PER_CALL } from "../../shared/events/model-events";
import { LocalQueue, type LocalQueueOptions } from "./local-queue";
import { DEFAULT_DELIVERY, RulesFile, TargetDelivery, type DeliveryPolicy, type EventsLog, type UndeliveredEvent } from "./event-delivery";

/**
 * The local stand-in for an EventBridge bus (docs/local.md): it speaks PutEvents on the AWS JSON 1.1
 * protocol, so the publisher's real EventBridgeClient talks to it through `endpoint`. Every
 * accepted event is appended to `events.jsonl` as EventBridge delivers it to a target, then
 * routed by the rules file to HTTP targets (./event-delivery.ts).
 *
 * It also takes SQS SendMessage and SendMessageBatch (AWS JSON 1.0; a batch is 1 to 10 entries with
 * distinct ids, each sent as SendMessage sends it; a body empty or over the queues' 256 KiB is
 * refused), appending each message to `dead-letters.jsonl`,
 * so the publisher's dead-letter queue works locally without a branch in the publisher. Events a
 * target never took land in the same file, as EventBridge sends them to a target's DLQ: the event
 * as the body, the reason in the message attributes. `npm run redeliver` puts them back on the bus.
 *
 * A queue given in `queues` has a consumer instead (./local-queue.ts, how `npm start` runs the
 * verifier): SendMessage to it delivers the message to that consumer; its dead letters go to the
 * same file, under the queue URL `<name>-dead-letters`.
 *
 * Not done: rules managed through the API (PutRule), targets other than HTTP, archives, replays,
 * input transformers, a retry queue that survives a restart.
 */

export interface LocalEventBridgeOptions {
  /** Where `events.jsonl` and `dead-letters.jsonl` are written. */
  readonly dataDir: string;
  /** Default: `<dataDir>/rules.json`. */
  readonly rulesFile?: string;
  /** Entries naming another bus are refused, as in AWS. Default: any bus. */
  readonly busName?: string;
  readonly port?: number;
  readonly host?: string;
  readonly region?: string;
  /** The retry schedule; tests shorten it. */
  readonly delivery?: Partial<DeliveryPolicy>;
  /** The queue that target dead letters name. Default: `dead-letters`. */
  readonly deadLetterQueue?: string;
  /** Default: warnings on stderr, and retries too when `verbose`. */
  readonly log?: EventsLog;
  readonly verbose?: boolean;
  /** Queues whose messages go to a consumer in this process, not to the dead letters. */
  readonly queues?: readonly Pick<LocalQueueOptions, "name" | "consumer" | "maxReceives" | "redeliveryDelayMs">[];
}

export interface LocalEventBridge {
  readonly endpoint: string;
  readonly eventsLog: string;
  readonly deadLettersLog: string;
  readonly rulesFile: string;
  /** A queue URL on this endpoint (the SQS client sends to its queue URL's host). */
  queueUrl(name: string): string;
  /** A queue of `queues`, by name. */
  queue(name: string): LocalQueue | undefined;
  /** Target deliveries not yet finished, for tests that wait for them. */
  pendingDeliveries(): number;
  /** Delivery attempts a target did not take, for tests that wait for retries. */
  failedDeliveryAttempts(): number;
  stop(): Promise<void>;
}

/** An event as EventBridge hands it to targets. */
export interface DeliveredEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

const ACCOUNT_ID = "000000000000";
const MAX_REQUEST_BYTES = 1024 * 1024;
/** The queues' MaximumMessageSize: SQS's default, which infra/ keeps for every queue. */
const MAX_MESSAGE_BYTES = 256 * 1024;

class ClientError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type EntryResult = { event: DeliveredEvent } | { ErrorCode: string; ErrorMessage: string };

export async function startLocalEventBridge(options: LocalEventBridgeOptions): Promise<LocalEventBridge> {
  await mkdir(options.dataDir, { recursive: true });
  const log = options.log ?? stderrLog(options.verbose ?? false);
  const region = options.region ?? "us-east-1";
  const eventsLog = join(options.dataDir, "events.jsonl");
  const deadLettersLog = join(options.dataDir, "dead-letters.jsonl");
  const rules = new RulesFile(options.rulesFile ?? join(options.dataDir, "rules.json"), log);
  // A rules file that is not valid at start stops the start (RulesFileError), with the reason.
  await rules.load();
  // One append at a time, so the log's order is the order PutEvents accepted the events. An append
  // that failed fails its own call only: the next one waits for it, not for it to have succeeded.
  let appending: Promise<void> = Promise.resolve();
  const append = (file: string, records: readonly unknown[]) =>
    (appending = appending
      .catch(() => undefined)
      .then(() => (records.length > 0 ? appendFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join("")) : undefined)));

  const deadLetter = (queueUrl: string, body: unknown, attributes?: Record<string, string>) => {
    const letter = { messageId: randomUUID(), queueUrl, sentAt: new Date().toISOString(), body, ...(attributes && { attributes }) };
    return append(deadLettersLog, [letter]).then(() => letter.messageId);
  };
  let endpoint = ""; // Known once the server listens, before any event can arrive.
  const queueUrl = (name: string) => `${endpoint}/${ACCOUNT_ID}/${name}`;
  const delivery = new TargetDelivery({ ...DEFAULT_DELIVERY, ...options.delivery }, log, async (failure) => {
    await deadLetter(queueUrl(options.deadLetterQueue ?? "dead-letters"), failure.event, targetDeadLetterAttributes(failure, region));
  });

  async function putEvents(body: Record<string, unknown>): Promise<unknown> {
    const entries = Array.isArray(body.Entries) ? (body.Entries as Record<string, unknown>[]) : [];
    if (entries.length === 0 || entries.length > MAX_ENTRIES_PER_CALL) {
      throw new ClientError(
        "ValidationException",
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES_PER_CALL}`,
      );
    }
    if (entries.reduce((sum, entry) => sum + entrySize(entry), 0) > MAX_BYTES_PER_CALL) {
      throw new ClientError("ValidationException", "Total size of the entries in the request is over the limit.");
    }
    const results = entries.map((entry) => acceptEntry(entry, { busName: options.busName, region }));
    const events = results.flatMap((result) => ("event" in result ? [result.event] : []));
    await append(eventsLog, events);
    const current = await rules.current();
    for (const event of events) delivery.route(event, current);
    return {
      FailedEntryCount: results.length - events.length,
      Entries: results.map((result) => ("event" in result ? { EventId: result.event.id } : result)),
    };
  }

  const queues = new Map(
    (options.queues ?? []).map((queue) => [
      queue.name,
      new LocalQueue({
        ...queue,
        arn: `arn:aws:sqs:${region}:${ACCOUNT_ID}:${queue.name}`,
        deadLetter: async ({ body, receiveCount, reason }) =>
          void (await deadLetter(queueUrl(`${queue.name}-dead-letters`), parsedBody(body), { receiveCount: String(receiveCount), reason })),
        log: (line) => log(line, "warn"),
      }),
    ]),
  );

  async function sendMessage(body: Record<string, unknown>): Promise<unknown> {
    if (typeof body.QueueUrl !== "string" || typeof body.MessageBody !== "string" || body.MessageBody === "") {
      throw new ClientError("InvalidParameterValue", "QueueUrl and MessageBody are required.");
    }
    if (Buffer.byteLength(body.MessageBody) > MAX_MESSAGE_BYTES)
      throw new ClientError(
        "InvalidParameterValue",
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
      );
    const md5 = createHash("md5").update(body.MessageBody).digest("hex");
    const consumed = queues.get(body.QueueUrl.split("/").pop() ?? "");
    if (consumed) return { MessageId: consumed.send(body.MessageBody), MD5OfMessageBody: md5 };
    return { MessageId: await deadLetter(body.QueueUrl, parsedBody(body.MessageBody)), MD5OfMessageBody: md5 };
  }

  /** SendMessageBatch: 1 to 10 entries, ids unique, each sent as SendMessage sends it. */
  async function sendMessageBatch(body: Record<string, unknown>): Promise<unknown> {
    const entries = Array.isArray(body.Entries) ? (body.Entries as { Id?: unknown; MessageBody?: unknown }[]) : [];
    if (entries.length === 0)
      throw new ClientError(
        "AWS.SimpleQueueService.EmptyBatchRequest",
        "There should be at least one SendMessageBatchRequestEntry in the request.",
      );
    if (entries.length > 10)
      throw new ClientError(
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      );
    if (new Set(entries.map((entry) => entry.Id)).size < entries.length)
      throw new ClientError(
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
      );
    const Successful = [];
    for (const entry of entries) {
      const sent = (await sendMessage({ QueueUrl: body.QueueUrl, MessageBody: entry.MessageBody })) as Record<string, unknown>;
      Successful.push({ Id: entry.Id, ...sent });
    }
    return { Successful, Failed: [] };
  }

  const operations: Record<string, { contentType: string; run: (body: Record<string, unknown>) => Promise<unknown> }> = {
    "AWSEvents.PutEvents": { contentType: "application/x-amz-json-1.1", run: putEvents },
    "AmazonSQS.SendMessage": { contentType: "application/x-amz-json-1.0", run: sendMessage },
    "AmazonSQS.SendMessageBatch": { contentType: "application/x-amz-json-1.0", run: sendMessageBatch },
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log(`Request failed: ${String(error)}`);
      if (!response.headersSent)
        answer(response, 500, "application/x-amz-json-1.1", { __type: "InternalException", message: "The local event bus failed." });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const operation = operations[String(request.headers["x-amz-target"])];
    const contentType = operation?.contentType ?? "application/x-amz-json-1.1";
    try {
      if (request.method !== "POST" || !operation)
        throw new ClientError(
          "UnknownOperationException",
          `The local event bus answers PutEvents, SendMessage and SendMessageBatch, not ${String(request.headers["x-amz-target"])}.`,
        );
      answer(response, 200, contentType, await operation.run(await readJsonBody(request)));
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      answer(response, error.status, contentType, { __type: error.type, message: error.message }, { "x-amzn-errortype": error.type });
    }
  }

  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  endpoint = `http://${address.address}:${address.port}`;
  return {
    endpoint,
    eventsLog,
    deadLettersLog,
    rulesFile: rules.path,
    queueUrl,
    queue: (name) => queues.get(name),
    pendingDeliveries: () => delivery.pending(),
    failedDeliveryAttempts: () => delivery.failedAttempts(),
    async stop() {
      delivery.stop();
      await Promise.all([...queues.values()].map((queue) => queue.stop()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await appending.catch(() => undefined);
    },
  };
}

/**
 * The message attributes EventBridge sets on a target's dead letter (EventBridge user guide,
 * "Using dead-letter queues to process undelivered events"); locally a target is its URL.
 */
function targetDeadLetterAttributes(failure: UndeliveredEvent, region: string): Record<string, string> {
  return {
    RULE_ARN: `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${failure.rule}`,
    TARGET_ARN: failure.url,
    ERROR_CODE: "SDK_CLIENT_ERROR",
    ERROR_MESSAGE: failure.status,
    ...(failure.exhaustedRetryCondition && { EXHAUSTED_RETRY_CONDITION: failure.exhaustedRetryCondition }),
    RETRY_ATTEMPTS: String(failure.attempts - 1),
  };
}

function stderrLog(verbose: boolean): EventsLog {
  return (line, level = "warn") => {
    if (level === "warn" || verbose) console.error(`[local events] ${line}`);
  };
}

/** Checks one PutEvents entry as EventBridge does and turns it into the event targets receive. */
function acceptEntry(entry: Record<string, unknown>, bus: { busName?: string; region: string }): EntryResult {
  const { Source: source, DetailType: detailType, Detail: detail, EventBusName: busName } = entry;
  if (typeof source !== "string" || source === "")
    return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument." };
  if (typeof detailType !== "string" || detailType === "")
    return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument." };
  if (bus.busName && busName !== undefined && busName !== bus.busName && !String(busName).endsWith(`:event-bus/${bus.busName}`)) {
    return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${String(busName)} does not exist.` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(detail));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  return {
    event: {
      version: "0",
      id: randomUUID(),
      "detail-type": detailType,
      source,
      account: ACCOUNT_ID,
      time: eventTime(entry.Time),
      region: bus.region,
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      detail: parsed as Record<string, unknown>,
    },
  };
}

/** The SDK sends `Time` as epoch seconds; events carry it to the second, like EventBridge. */
function eventTime(time: unknown): string {
  const date = typeof time === "number" ? new Date(time * 1000) : typeof time === "string" ? new Date(time) : new Date();
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A message body as the dead letters keep it: JSON when it is JSON, else the string it was. */
function parsedBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES)
      throw new ClientError("RequestEntityTooLarge", "The request is larger than the local event bus accepts.", 413);
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as unknown;
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new ClientError("SerializationException", "The request body is not a JSON object.");
}

function answer(response: ServerResponse, status: number, contentType: string, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  response.end(text);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
