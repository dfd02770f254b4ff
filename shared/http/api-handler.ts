import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "../zod";
import { RequestTimedOutError, RouteNotFoundError } from "../domain/errors";
import type { FunctionName } from "../functions";
import type { Route } from "../routes";
import { isWriteRoute, routeKey } from "../routes/route";
import { requireRole, type Caller } from "../domain/permissions";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { loadConfig, type RegistryConfig } from "../config";
import type { MetricsRecorder } from "../metrics";
import { createDynamoDbClient } from "../clients";
import { createLogger } from "../logger";
import { createMetrics, type ProcessMetrics } from "../telemetry";
import { tracingOf } from "../tracing";
import { callerOf } from "./identity";
import { errorMapper } from "./error-mapper";
import { idempotencyKeyOf } from "./idempotency-key";
import type { createIdempotency, RunOnce } from "./idempotency";
import { jsonResponse } from "./responses";
import { jsonBodyOf, parseOrThrow } from "./validation";

/**
 * How long before the function's time runs out the request is answered 503 RequestTimedOut (middy's
 * early timeout): enough to log it and send the answer before Lambda stops the process.
 */
const ANSWER_MARGIN_MS = 500;
const timeoutEarlyResponse = (): never => {
  throw new RequestTimedOutError();
};

/** A route without query parameters refuses any, as routes with some refuse the ones they do not know. */
const NO_QUERY_PARAMETERS = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({}));

function parseQuery(schema: z.core.$ZodType | undefined, parameters: Record<string, string | undefined> | undefined): unknown {
  // No query string, nothing to refuse: such a request (a cold GET /health among them) builds no schema for it.
  if (!schema && parameters === undefined) return undefined;
  const parsed = parseOrThrow(schema ?? NO_QUERY_PARAMETERS, parameters ?? {}, "query");
  return schema ? parsed : undefined;
}

type Schema<R, K extends "path" | "query" | "body"> = R extends { request: Record<K, infer S extends z.core.$ZodType> }
  ? z.output<S>
  : undefined;

/** What an adapter receives: the request already validated against the route's schemas. */
export interface RouteInput<R extends Route> {
  readonly path: Schema<R, "path">;
  readonly query: Schema<R, "query">;
  readonly body: Schema<R, "body">;
  readonly who: Caller;
}

export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

type RoutesOf<F extends FunctionName> = Extract<Route, { function: F }>;
type KeyOf<R extends Route> = `${R["method"]} ${R["path"]}`;

/** One adapter per route of the function: the compiler insists that none is missing. */
export type Adapters<F extends FunctionName> = {
  [R in RoutesOf<F> as KeyOf<R>]: (input: RouteInput<R>) => Promise<RouteResult>;
};

type Event = APIGatewayProxyEventV2WithIAMAuthorizer;

/** What a function's composition root builds once for its process, and shares with the use cases' dependencies. */
export interface ApiProcess {
  readonly config: RegistryConfig;
  /** The client the use cases' store is built on: Idempotency-Key records go through it too. */
  readonly dynamodb: DynamoDBClient;
  readonly logger: Logger;
  /** Flushed as EMF after each invocation (default: none recorded). */
  readonly metrics?: ProcessMetrics;
}

/** Loads what runs a write route once per Idempotency-Key (./idempotency.ts), on the first request that carries a key. */
export type IdempotencyLoader = () => Promise<typeof createIdempotency>;

/**
 * A function with write routes takes Idempotency-Keys, and so must be given the loader
 * (./keyed-writes.ts); a function without any is given none, and never bundles Powertools idempotency.
 */
export type KeyedWrites<F extends FunctionName> = [Exclude<RoutesOf<F>["method"], "GET">] extends [never]
  ? { readonly idempotency?: undefined }
  : { readonly idempotency: IdempotencyLoader };

/** Makes a function's use-case dependencies from its process's resources (shared/composition.ts, shared/artifacts-composition.ts). */
export type DepsBuilder<D> = (config: RegistryConfig, dynamodb: DynamoDBClient, logger: Logger, metrics?: MetricsRecorder) => D;

/**
 * A function's composition root, built once per process: the config, DynamoDB client, logger and
 * metrics, and the dependencies `build` makes from those same resources. Each function names its
 * own builder, so one that handles no artifact never bundles the S3 client and presigner.
 */
export function composeProcess<D>(build: DepsBuilder<D>): ApiProcess & { readonly deps: D } {
  const config = loadConfig();
  const logger = createLogger(config);
  const dynamodb = createDynamoDbClient(config);
  const metrics = createMetrics(config, logger);
  return { config, dynamodb, logger, metrics, deps: build(config, dynamodb, logger, metrics) };
}

/**
 * Builds a Lambda handler for one function of the route table, given that function's routes
 * (shared/routes/<function>.ts): it picks the route from the event's routeKey, parses and
 * validates the request, calls the adapter, and shapes the answer. A write route called with an
 * Idempotency-Key runs once per key (see ./idempotency.ts), through the loader its function is given.
 */
export function createApiHandler<F extends FunctionName>(
  fn: F,
  ownRoutes: readonly RoutesOf<F>[],
  { config, dynamodb, logger, metrics, idempotency }: ApiProcess & NoInfer<KeyedWrites<F>>,
  adapters: NoInfer<Adapters<F>>,
) {
  const table = new Map<string, Route>(ownRoutes.map((r) => [routeKey(r), r]));
  // Built on the first request that carries a key: requests without one pay nothing at cold start.
  let runOnce: Promise<RunOnce> | undefined;
  const once = (load: IdempotencyLoader) =>
    (runOnce ??= load().then((create) => create({ client: dynamodb, tableName: config.tableName, keyPrefix: fn, logger })));
  return middy<Event, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: ANSWER_MARGIN_MS, timeoutEarlyResponse })
    .use(tracingOf(config).middleware)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(metrics?.flushing ?? [])
    .use(errorMapper(logger))
    .before(async (request) => {
      logger.appendKeys({ requestId: request.event.requestContext.requestId, route: request.event.routeKey });
    })
    .handler(async (event, context) => {
      const route = table.get(event.routeKey);
      const adapter = (adapters as Record<string, (input: unknown) => Promise<RouteResult>>)[event.routeKey];
      if (!route || !adapter) throw new RouteNotFoundError(event.requestContext.http.method, event.rawPath);
      const who = callerOf(event, config.roleBindings);
      // The role before the body is even parsed: a caller without it learns nothing about what a valid request looks like.
      requireRole(who, route.role, event.routeKey);
      const schemas: { path?: z.core.$ZodType; query?: z.core.$ZodType; body?: z.core.$ZodType } = "request" in route ? route.request : {};
      const json = schemas.body ? jsonBodyOf(event) : undefined;
      const input = {
        path: schemas.path ? parseOrThrow(schemas.path, event.pathParameters ?? {}, "path") : undefined,
        query: parseQuery(schemas.query, event.queryStringParameters),
        body: schemas.body ? parseOrThrow(schemas.body, json, "body") : undefined,
        who,
      };
      const respond = async () => {
        const result = await adapter(input);
        return jsonResponse(result.status, result.body, result.headers);
      };
      const key = isWriteRoute(route) ? idempotencyKeyOf(event.headers) : undefined;
      if (key === undefined || !idempotency) return respond();
      // Keyed per caller, route and path: another caller's key, or the same key elsewhere, is another request.
      return (await once(idempotency))(
        { key: { route: event.routeKey, path: event.rawPath, caller: who.actor, idempotencyKey: key }, body: json ?? null },
        context,
        respond,
      );
    });
}
