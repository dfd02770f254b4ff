import { ValidationError } from "../domain/errors";

/**
 * The Idempotency-Key header (see ./idempotency.ts for what a key does). Apart from the
 * Powertools module, so that requests without a key never load it.
 */
export const IDEMPOTENCY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "idempotent-replayed";
const MAX_KEY_LENGTH = 255;
/** How long a retry with the same key gets the first answer; after that the key is new again. */
export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;
/** All records share one partition; their sort keys are hashes, so DynamoDB can split it for heat. */
export const IDEMPOTENCY_PARTITION = "IDEMPOTENCY";
/** Powertools idempotency's own bundle, beside a function's bundle (./powertools-idempotency-beside.ts). */
export const POWERTOOLS_IDEMPOTENCY_MODULE = "powertools-idempotency.cjs";

/** The header's value, or undefined when absent; 1–255 characters. */
export function idempotencyKeyOf(headers: Record<string, string | undefined> | undefined): string | undefined {
  const key = headers?.[IDEMPOTENCY_HEADER];
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ValidationError(
      `The Idempotency-Key header has ${key.length} characters; it needs 1 to ${MAX_KEY_LENGTH} (a UUID is a good key).`,
      [{ path: "headers.idempotency-key", message: `1 to ${MAX_KEY_LENGTH} characters` }],
    );
  }
  return key;
}
