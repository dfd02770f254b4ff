import { readFile, rename, appendFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DeadLetter } from "../../shared/events/dead-letters";
import { MAX_ENTRIES_PER_CALL } from "../../shared/events/model-events";
import { localCredentials } from "./engines";
import type { DeliveredEvent } from "./eventbridge";
import { scriptOptions } from "../../client/script-args";

/**
 * `npm run redeliver -- --endpoint <local bus> --file <dead-letters.jsonl>`: puts the local dead
 * letters back on the local bus (docs/local.md), as a redrive does in AWS. The file is first moved
 * aside (`dead-letters.<time>.redelivered.jsonl`), so letters arriving meanwhile start a new file;
 * what cannot be put (a publisher letter without an event, an entry the bus fails, every letter not yet
 * put when the bus stops answering) is appended back.
 * A publisher letter without an event (its history item could not be read, or its event was left out
 * to fit SQS) is named by the item's key: read the item from the table to see what it announced.
 */

/** A line of the file, and the body of the letter it holds (none when the line is not JSON). */
interface Letter {
  readonly line: string;
  readonly body: unknown;
}

export interface RedeliveryResult {
  readonly redelivered: number;
  readonly kept: number;
  /** The publisher letters kept for want of an event: the history item to read, and why it has no event. */
  readonly withoutEvent: readonly { readonly item: DeadLetter["item"]; readonly reason: string }[];
}

export async function redeliver(options: { endpoint: string; file: string }): Promise<RedeliveryResult> {
  const moved = options.file.replace(/\.jsonl$/, `.${new Date().toISOString().replace(/[:.]/g, "-")}.redelivered.jsonl`);
  const text = await rename(options.file, moved).then(
    () => readFile(moved, "utf8"),
    () => "",
  );
  const letters = text.split("\n").filter(Boolean).map(readLetter);
  const client = new EventBridgeClient({ region: "us-east-1", endpoint: options.endpoint, credentials: localCredentials });
  const kept: Letter[] = letters.filter((letter) => entryOf(letter) === undefined);
  const withoutEvent = kept.flatMap(missingEvent);
  const putting = letters.filter((letter) => entryOf(letter) !== undefined);
  let answered = 0;
  try {
    for (; answered < putting.length; answered += MAX_ENTRIES_PER_CALL) {
      const batch = putting.slice(answered, answered + MAX_ENTRIES_PER_CALL);
      const result = await client.send(new PutEventsCommand({ Entries: batch.map((letter) => entryOf(letter) as PutEventsRequestEntry) }));
      kept.push(...batch.filter((_, j) => result.Entries?.[j]?.ErrorCode !== undefined));
    }
  } finally {
    // A call that threw (the bus is down) put nothing we know of: its letters and the rest go back too.
    kept.push(...putting.slice(answered));
    client.destroy();
    if (kept.length > 0) await appendFile(options.file, kept.map((letter) => `${letter.line}\n`).join(""));
  }
  return { redelivered: letters.length - kept.length, kept: kept.length, withoutEvent };
}

/** A line cut short (the bus stopped mid-write) has no body: it is kept as it is, for a human to read. */
function readLetter(line: string): Letter {
  try {
    return { line, body: (JSON.parse(line) as { body?: unknown } | null)?.body };
  } catch {
    return { line, body: undefined };
  }
}

/** A target's dead letter holds the event as delivered; a publisher's, the PutEvents entry it sent. */
function entryOf(letter: Letter): PutEventsRequestEntry | undefined {
  const body = letter.body as Partial<DeliveredEvent & DeadLetter> | undefined;
  if (body?.event) return { ...body.event, Time: body.event.Time && new Date(body.event.Time) };
  if (typeof body?.["detail-type"] !== "string") return undefined;
  return {
    Source: body.source,
    DetailType: body["detail-type"],
    Detail: JSON.stringify(body.detail),
    Resources: body.resources,
    Time: body.time ? new Date(body.time) : undefined,
  };
}

/** A publisher letter that carries no event: the history item it came from, and why. */
function missingEvent(letter: Letter): RedeliveryResult["withoutEvent"] {
  const body = letter.body as Partial<DeadLetter> | undefined;
  if (!body?.item) return [];
  return [{ item: body.item, reason: body.dropped?.reason ?? `${body.reason}: ${body.error?.message}` }];
}

const REDELIVER_USAGE = "usage: npm run redeliver -- --endpoint <local bus URL> --file <dead-letters.jsonl> (both printed by npm start)";

async function main(): Promise<void> {
  const values = scriptOptions(REDELIVER_USAGE, { endpoint: { type: "string" }, file: { type: "string" } });
  if (!values.endpoint || !values.file) {
    console.error(REDELIVER_USAGE);
    process.exit(2);
  }
  const result = await redeliver({ endpoint: values.endpoint, file: resolve(values.file) });
  for (const { item, reason } of result.withoutEvent)
    console.error(`kept, no event to put: history item pk=${item.pk} sk=${item.sk} (${reason})`);
  console.log(`${result.redelivered} events put back on the bus; ${result.kept} letters kept in ${values.file}.`);
  process.exit(result.kept > 0 ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
