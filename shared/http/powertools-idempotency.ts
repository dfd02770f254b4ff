/**
 * `#powertools-idempotency` run from source (tests, `npm start`): what ./idempotency.ts uses of
 * Powertools idempotency, from node_modules. A function's bundle loads the same module instead from
 * its own file beside the bundle (./powertools-idempotency-beside.ts, infra/bundling.ts).
 */
export {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
export { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
