import { createRequire } from "node:module";
import { POWERTOOLS_IDEMPOTENCY_MODULE } from "./idempotency-key";
import type * as PowertoolsIdempotency from "./powertools-idempotency";

/**
 * `#powertools-idempotency` in a function's bundle (infra/bundling.ts): Powertools idempotency is
 * over 40 KiB that only a request with an Idempotency-Key needs, and a CommonJS bundle inlines what
 * it imports lazily, so it ships as a file of its own, read on the first keyed write.
 */
const powertools: typeof PowertoolsIdempotency = createRequire(__filename)(`./${POWERTOOLS_IDEMPOTENCY_MODULE}`);

export const {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
  DynamoDBPersistenceLayer,
} = powertools;
