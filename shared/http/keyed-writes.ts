import type { IdempotencyLoader } from "./api-handler";

/**
 * What a function with write routes gives createApiHandler: Powertools idempotency, loaded on the
 * first request with an Idempotency-Key. Only those functions import this module, so only their
 * bundles hold Powertools idempotency.
 */
export const loadIdempotency: IdempotencyLoader = () => import("./idempotency").then((module) => module.createIdempotency);
