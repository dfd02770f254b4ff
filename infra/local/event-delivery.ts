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
 * for a while gets its events once it is back, unless this process stops first or the event
 * grows older than `maxEventAgeMs` (the events log keeps every event regardless).
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
export const DEFAULT_DELIVERY: DeliveryPolicy = { maxAttempts: 12, baseDelayMs: 1_000, maxDelayMs: 30_000, maxEventAgeMs: 5 * 60_000, timeoutMs: 5_000 };

const rulesFileSchema = z.array(
  z.object({
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
    targets: z.array(z.object({ url: z.url() })).check(z.minLength(1)),
  }),
);

/**
 * Parses the rules file again when its text changed since the last read; a missing file means no
 * rules. The text, not the modification time, says whether it changed: two edits within one tick
 * of the file system's clock are still two edits.
 */
export class RulesFile {
  private rules: readonly LocalRule[] = [];
  private text: string | undefined;

  constructor(
    readonly path: string,
    private readonly log: (line: string) => void,
  ) {}

  async current(): Promise<readonly LocalRule[]> {
    const text = await readFile(this.path, "utf8").catch(() => undefined);
    if (text === this.text) return this.rules;
    this.text = text;
    this.rules = text === undefined ? [] : this.parse(text);
    return this.rules;
  }

  private parse(text: string): readonly LocalRule[] {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      this.log(`${this.path} is not valid JSON (${(error as Error).message}); no rule applies until it is fixed.`);
      return [];
    }
    const parsed = rulesFileSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    this.log(`${this.path} is not a valid rules file (${problems}); no rule applies until it is fixed.`);
    return [];
  }
}

/** POSTs events to HTTP targets, each delivery retrying on its own until it succeeds or gives up. */
export class TargetDelivery {
  private readonly stopping = new AbortController();
  private inFlight = 0;
  private failures = 0;

  constructor(
    private readonly policy: DeliveryPolicy,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts delivering `event` to every target of every rule it matches; does not wait. */
  route(event: { id: string }, rules: readonly LocalRule[]): void {
    for (const rule of rules) {
      if (!matchesPattern(rule.eventPattern, event)) continue;
      for (const target of rule.targets) void this.deliver(event, rule.name, target.url);
    }
  }

  /** Deliveries started and not yet finished (delivered, refused or given up). */
  pending(): number {
    return this.inFlight;
  }

  /** Attempts a target did not take (no answer, or an error status), retried or not. */
  failedAttempts(): number {
    return this.failures;
  }

  /** Drops every pending delivery: the queue lives in memory only. */
  stop(): void {
    if (this.pending() > 0) this.log(`Dropping ${this.pending()} pending deliveries (the local bus keeps its retry queue in memory).`);
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
        if (outcome !== "retry") return this.log(`Rule ${rule}: ${url} refused event ${event.id} (${outcome.refused}); not retried.`);
        const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
        if (attempt >= this.policy.maxAttempts || Date.now() + delay - startedAt > this.policy.maxEventAgeMs) {
          return this.log(`Rule ${rule}: gave up delivering event ${event.id} to ${url} after ${attempt} attempts.`);
        }
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    } finally {
      this.inFlight--;
    }
  }

  /** Retries what a restart or a moment may fix (no answer, 408, 409, 429, 5xx), as EventBridge does for HTTP targets. */
  private async post(url: string, event: unknown): Promise<"delivered" | "retry" | { refused: string }> {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event),
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.policy.timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return "delivered";
      return [408, 409, 429].includes(response.status) || response.status >= 500 ? "retry" : { refused: `HTTP ${response.status}` };
    } catch {
      return "retry";
    }
  }
}
