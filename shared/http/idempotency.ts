import type { Logger } from "@aws-lambda-powertools/logger";
import {
  DynamoDBPersistenceLayer,
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from "#powertools-idempotency";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from "../domain/errors";
import { IDEMPOTENCY_PARTITION, IDEMPOTENCY_RETENTION_SECONDS, REPLAYED_HEADER } from "./idempotency-key";

type Response = APIGatewayProxyStructuredResultV2;

/** What makes two requests "the same": the key names the request, the body must match. */
export interface IdempotentRequest {
  readonly key: { readonly route: string; readonly path: string; readonly caller: string; readonly idempotencyKey: string };
  readonly body: unknown;
}

export interface IdempotencySettings {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** A stable prefix instead of the Lambda's physical name: a redeploy must not forget the keys. */
  readonly keyPrefix: string;
  readonly logger: Logger;
}

export type RunOnce = (request: IdempotentRequest, context: Context, respond: () => Promise<Response>) => Promise<Response>;

/**
 * Powertools idempotency over the registry's own table (records: pk IDEMPOTENCY, sk
 * `<function>#<sha256 of route, path, caller and key>`, TTL on expiresAt).
 * 1. the first request with a key stores an INPROGRESS record (conditional put) and runs;
 * 2. a 2xx answer is stored with the body's hash and replayed, marked `idempotent-replayed: true`,
 *    to every retry with that key and the same body;
 * 3. an error answer is not stored (the record is deleted): a failed change wrote nothing, so the
 *    retry runs again, e.g. after a 409 StageConflict or a 400 the client has fixed;
 * 4. the same key with another body → 409 IdempotencyKeyReused; while the first still runs → 409
 *    IdempotencyKeyInProgress.
 */
export function createIdempotency({ client, tableName, keyPrefix, logger }: IdempotencySettings): RunOnce {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: "pk",
    sortKeyAttr: "sk",
    staticPkValue: IDEMPOTENCY_PARTITION,
    expiryAttr: "expiresAt",
    inProgressExpiryAttr: "inProgressExpiresAt",
    statusAttr: "status",
    dataAttr: "response",
    validationKeyAttr: "payloadHash",
  });
  const markReplayed = (response: unknown) => {
    const stored = response as Response;
    return { ...stored, headers: { ...stored.headers, [REPLAYED_HEADER]: "true" } };
  };

  return async function once(request: IdempotentRequest, context: Context, respond: () => Promise<Response>): Promise<Response> {
    // One config per request: it carries this invocation's context (the in-progress lock expires with it).
    const config = new IdempotencyConfig({
      eventKeyJmesPath: "key",
      payloadValidationJmesPath: "body",
      expiresAfterSeconds: IDEMPOTENCY_RETENTION_SECONDS,
      hashFunction: "sha256",
      lambdaContext: context,
      responseHook: markReplayed,
    });
    let answered: Response | undefined;
    const run = makeIdempotent(async (_request: IdempotentRequest) => (answered = await respond()), {
      persistenceStore,
      config,
      keyPrefix,
    });
    try {
      return (await run(request)) as Response;
    } catch (error) {
      // The change committed; only storing its answer failed. Answer it rather than a 500 the client would retry.
      if (answered && error instanceof IdempotencyPersistenceLayerError) {
        logger.error("the answer could not be stored for replay", error);
        return answered;
      }
      if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReusedError(request.key.route);
      if (error instanceof IdempotencyAlreadyInProgressError) throw new IdempotencyKeyInProgressError(request.key.route);
      throw error;
    }
  };
}
