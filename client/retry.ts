import { setTimeout as delay } from "node:timers/promises";
import { RegistryApiError, RegistryUnavailableError } from "./errors";

/**
 * When and how the SDK tries a request again. Injectable so tests run the whole policy in
 * milliseconds (a `sleep` that records instead of waiting, a fixed `random`).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. */
  readonly random: () => number;
  /**
   * How long one attempt at a registry route waits for its whole answer before it counts as no
   * answer and is tried again: API Gateway itself gives up on an integration after 30 s.
   */
  readonly answerTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  sleep: (ms) => delay(ms),
  random: Math.random,
  answerTimeoutMs: 60_000,
};

/** "Full jitter": a random wait up to an exponentially growing cap, so a crowd of clients does not retry in step. */
export const backoffMs = (policy: RetryPolicy, retry: number): number =>
  Math.floor(policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry));

/**
 * Failures another attempt may cure: no answer at all, throttling, or a server-side fault, but for a
 * request that ran out of the function's time: the same one would run as long again.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof RegistryApiError) {
    if (error.code === "RequestTimedOut") return false;
    // The first request with this key is still running (docs/lifecycle.md, Safe retries): its answer will be replayed.
    return error.status === 429 || error.status >= 500 || error.code === "IdempotencyKeyInProgress";
  }
  return isNetworkError(error);
}

/** What fetch throws when no HTTP answer came back (refused, reset, DNS, TLS): a TypeError, or the cause it wraps. */
const isNetworkError = (error: unknown): boolean => error instanceof TypeError && !(error instanceof RegistryApiError);

/**
 * Runs `attempt` until it succeeds, fails for good (`retryable` says no), or the policy's attempts
 * are spent. A network failure that outlasts the attempts becomes RegistryUnavailableError; an
 * API error is rethrown as the last answer said it.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  retryable: (error: unknown) => boolean,
  attempt: (attemptNumber: number) => Promise<T>,
  registryUrl?: URL,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!retryable(error)) throw error;
      if (n >= policy.attempts) throw exhausted(error, n, registryUrl);
      await policy.sleep(backoffMs(policy, n - 1));
    }
  }
}

function exhausted(error: unknown, attempts: number, registryUrl: URL | undefined): unknown {
  if (error instanceof RegistryApiError) return error;
  const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  const from = registryUrl ? ` from the registry at ${registryUrl.href}` : "";
  return new RegistryUnavailableError(`No answer${from} after ${attempts} attempts: ${reason}`, attempts, { cause: error }, registryUrl);
}

/**
 * An attempt's deadline: its signal aborts after `ms` with a TypeError, a network failure that is
 * retried. Its timer holds the process open: Node 20's fetch can leave a request whose connection
 * the server closed unanswered neither resolved nor rejected, and the CLI would end silently.
 */
export function answerDeadline(ms: number, callerSignal: AbortSignal | undefined): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TypeError(`no answer within ${ms / 1000} s`)), ms);
  const signal = callerSignal ? AbortSignal.any([callerSignal, controller.signal]) : controller.signal;
  return { signal, clear: () => clearTimeout(timer) };
}
