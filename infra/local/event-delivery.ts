import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import * as z from "../../shared/zod";
import { matchesPattern, parsePattern, type EventPattern } from "./event-pattern";

/**
 * The local bus's rules and HTTP targets. Rules come from a JSON file whose text is read at every
 * PutEvents and parsed again whenever it changed, so rules can be edited while `npm start` runs:
 *   [{ "name": "...", "eventPattern": { ...EventBridge pattern... }, "targets": [{ "url": "http://..." }] }]
 * Each matching event is POSTed (JSON, as EventBridge delivers it) to each target of each matching
 * rule. Failed deliveries are retried with exponential backoff, in memory: a target that is down
 * for a while gets its events once it is back, unless this process stops first. An event whose
 * retries run out (`maxAttempts`, `maxEventAgeMs`), or that a target refuses, is handed to
 * `undelivered`: the bus dead-letters it as EventBridge does to a target's DLQ (./eventbridge.ts).
 */

export interface LocalRule {
  readonly name: string;
  readonly eventPattern: EventPattern;
  readonly targets: readonly { readonly url: string }[];
}

export interface DeliveryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Like a target's MaximumEventAgeInSeconds: no retry starts after this. */
  readonly maxEventAgeMs: number;
  readonly timeoutMs: number;
}

/** About 3.5 minutes of retries (1 s, 2 s, 4 s … capped at 30 s): enough for a webhook to restart. */
export const DEFAULT_DELIVERY: DeliveryPolicy = {
  maxAttempts: 12,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxEventAgeMs: 5 * 60_000,
  timeoutMs: 5_000,
};

const ruleSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  eventPattern: z.pipe(
    z.unknown(),
    z.transform((pattern, ctx) => {
      try {
        return parsePattern(pattern);
      } catch (error) {
        ctx.issues.push({ code: "custom", message: (error as Error).message, input: pattern });
        return z.NEVER;
      }
    }),
  ),
  targets: z.array(z.strictObject({ url: z.url() })).check(z.minLength(1)),
});
const rulesFileSchema = z.array(ruleSchema);
const RULE_KEYS = ["name", "eventPattern", "targets"];
const TARGET_KEYS = ["url"];

/** A rules file that cannot be used; the message names the file, the rule and the key. */
export class RulesFileError extends Error {}

/** Reads and checks a rules file; a missing file means no rules. Throws a RulesFileError. */
export async function readRulesFile(path: string): Promise<readonly LocalRule[]> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  return text === undefined ? [] : parseRules(path, text);
}

function parseRules(path: string, text: string): readonly LocalRule[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RulesFileError(`${path} is not valid JSON (${(error as Error).message}).`);
  }
  const parsed = rulesFileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = withoutMisspelledKeys(parsed.error.issues).flatMap((issue) => describeIssue(json, issue));
  throw new RulesFileError(`${path} is not a valid rules file (${problems.join("; ")}).`);
}

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string; readonly code: string; readonly keys?: readonly string[] };

const knownKeys = (issue: Issue) => (issue.path.length === 1 ? RULE_KEYS : TARGET_KEYS);

/** `eventPatern` also makes `eventPattern` missing: the "did you mean" says both, so that issue goes. */
function withoutMisspelledKeys(issues: readonly Issue[]): Issue[] {
  const meant = new Set(
    issues.flatMap((issue) => (issue.keys ?? []).map((key) => [...issue.path, closest(key, knownKeys(issue))].join("."))),
  );
  return issues.filter((issue) => issue.code === "unrecognized_keys" || !meant.has(issue.path.join(".")));
}

/** `rule "deploy" (#1), eventPatern: not a known key; did you mean eventPattern?` */
function describeIssue(json: unknown, issue: Issue): string[] {
  const [index, ...keyPath] = issue.path;
  const name = Array.isArray(json) && typeof index === "number" ? (json[index] as { name?: unknown } | undefined)?.name : undefined;
  const rule = typeof index !== "number" ? "the file" : `rule ${typeof name === "string" ? `"${name}" ` : ""}(#${index + 1})`;
  if (issue.code !== "unrecognized_keys") return [`${rule}, ${keyPath.join(".") || "value"}: ${issue.message}`];
  return (issue.keys ?? []).map((key) => {
    const suggestion = closest(key, knownKeys(issue));
    const hint = suggestion ? `; did you mean ${suggestion}?` : ` (known: ${knownKeys(issue).join(", ")})`;
    return `${rule}, ${[...keyPath, key].join(".")}: not a known key${hint}`;
  });
}

/** The known key within two edits of `key`, for a "did you mean". */
function closest(key: string, known: readonly string[]): string | undefined {
  const ranked = known.map((candidate) => ({ candidate, distance: editDistance(key.toLowerCase(), candidate.toLowerCase()) }));
  const best = ranked.sort((a, b) => a.distance - b.distance)[0];
  return best && best.distance <= 2 ? best.candidate : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (const [i, charA] of [...a].entries()) {
    const row = [i + 1];
    for (const [j, charB] of [...b].entries()) {
      row.push(Math.min((previous[j + 1] ?? 0) + 1, (row[j] ?? 0) + 1, (previous[j] ?? 0) + (charA === charB ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * The rules in force. `load()` (at start) throws on a bad file, so `npm start` refuses it; a later
 * edit is checked when the next event arrives: a bad one is logged and the previous rules stay in
 * force, so a half-saved file does not drop every rule. The text, not the modification time, says
 * whether it changed: two edits within one tick of the file system's clock are still two edits.
 */
export class RulesFile {
  private rules: readonly LocalRule[] = [];
  private text: string | undefined;

  constructor(
    readonly path: string,
    private readonly log: EventsLog,
  ) {}

  async load(): Promise<void> {
    this.text = await readFile(this.path, "utf8").catch(() => undefined);
    this.rules = this.text === undefined ? [] : parseRules(this.path, this.text);
  }

  async current(): Promise<readonly LocalRule[]> {
    const text = await readFile(this.path, "utf8").catch(() => undefined);
    if (text === this.text) return this.rules;
    this.text = text;
    try {
      this.rules = text === undefined ? [] : parseRules(this.path, text);
    } catch (error) {
      if (!(error instanceof RulesFileError)) throw error;
      this.log(`${error.message} Keeping the previous rules (${this.rules.length}) until it is fixed.`, "warn");
    }
    return this.rules;
  }
}

/** Local log lines: the first failure of a delivery is a warning, its retries are detail. */
export type EventsLog = (line: string, level?: "warn" | "debug") => void;

/** Why a delivery ended undelivered, as the attributes of an EventBridge target's DLQ message say it. */
export interface UndeliveredEvent {
  readonly event: { readonly id: string };
  readonly rule: string;
  readonly url: string;
  /** The last answer: `HTTP 503`, or `no answer (ECONNREFUSED)`. */
  readonly status: string;
  readonly attempts: number;
  /** Unset when the target refused the event (not retried). */
  readonly exhaustedRetryCondition?: "MaximumRetryAttemptsExceeded" | "MaximumEventAgeExceeded";
}

type Outcome = "delivered" | { readonly retry: string } | { readonly refused: string };

/** POSTs events to HTTP targets, each delivery retrying on its own until it succeeds or gives up. */
export class TargetDelivery {
  private readonly stopping = new AbortController();
  private inFlight = 0;
  private failures = 0;

  constructor(
    private readonly policy: DeliveryPolicy,
    private readonly log: EventsLog,
    private readonly undelivered: (failure: UndeliveredEvent) => Promise<void>,
  ) {}

  /** Starts delivering `event` to every target of every rule it matches; does not wait. */
  route(event: { id: string }, rules: readonly LocalRule[]): void {
    for (const rule of rules) {
      if (!matchesPattern(rule.eventPattern, event)) continue;
      for (const target of rule.targets) void this.deliver(event, rule.name, target.url);
    }
  }

  /** Deliveries started and not yet finished (delivered, dead-lettered or dropped). */
  pending(): number {
    return this.inFlight;
  }

  /** Attempts a target did not take (no answer, or an error status), retried or not. */
  failedAttempts(): number {
    return this.failures;
  }

  /** Drops every pending delivery: the queue lives in memory only. */
  stop(): void {
    if (this.pending() > 0)
      this.log(`Dropping ${this.pending()} pending deliveries (the local bus keeps its retry queue in memory).`, "warn");
    this.stopping.abort();
  }

  private async deliver(event: { id: string }, rule: string, url: string): Promise<void> {
    this.inFlight++;
    const startedAt = Date.now();
    try {
      for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
        const outcome = await this.post(url, event);
        if (outcome === "delivered") return;
        this.failures++;
        const failure = { event, rule, url, attempts: attempt };
        if ("refused" in outcome) return await this.giveUp({ ...failure, status: outcome.refused }, "not retried");
        const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
        const condition =
          attempt >= this.policy.maxAttempts
            ? "MaximumRetryAttemptsExceeded"
            : Date.now() + delay - startedAt > this.policy.maxEventAgeMs
              ? "MaximumEventAgeExceeded"
              : undefined;
        if (condition)
          return await this.giveUp(
            { ...failure, status: outcome.retry, exhaustedRetryCondition: condition },
            `gave up after ${attempt} attempts`,
          );
        this.log(
          `Rule ${rule}: ${url} did not take event ${event.id} (${outcome.retry}, attempt ${attempt}); retrying in ${delay} ms.`,
          attempt === 1 ? "warn" : "debug",
        );
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    } finally {
      this.inFlight--;
    }
  }

  private async giveUp(failure: UndeliveredEvent, why: string): Promise<void> {
    this.log(
      `Rule ${failure.rule}: ${failure.url} did not take event ${failure.event.id} (${failure.status}); ${why}, dead-lettered.`,
      "warn",
    );
    await this.undelivered(failure).catch((error: unknown) =>
      this.log(`Dead-lettering event ${failure.event.id} failed: ${String(error)}`, "warn"),
    );
  }

  /** Retries what a restart or a moment may fix (no answer, 408, 409, 429, 5xx), as EventBridge does for HTTP targets; a 3xx is refused. */
  private async post(url: string, event: unknown): Promise<Outcome> {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event),
        // Following a 302 or 303 would turn the POST into a GET without the event, and count that as delivered.
        redirect: "manual",
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.policy.timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return "delivered";
      const status = `HTTP ${response.status}`;
      return [408, 409, 429].includes(response.status) || response.status >= 500 ? { retry: status } : { refused: status };
    } catch (error) {
      return { retry: `no answer (${failureCode(error)})` };
    }
  }
}

/** fetch hides the socket's error code (ECONNREFUSED, …) in `cause`. */
function failureCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.name : String(error);
}
