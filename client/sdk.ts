import { randomUUID } from "node:crypto";
import type * as z from "../shared/zod";
import { errorBody } from "../shared/schemas/common";
import { isWriteRoute, routes, type Route } from "../shared/routes";
import { IDEMPOTENCY_HEADER } from "../shared/http/idempotency-key";
import { eventBodyBytes, MAX_EVENT_BODY_BYTES, OVERSIZED_REQUEST_ADVICE } from "../shared/http/invocation-payload";
import { authenticator, defaultAuth, type AuthOption, type Authenticator } from "./auth";
import { RegistryApiError, RegistryUnavailableError, UsageError } from "./errors";
import { answerDeadline, DEFAULT_RETRY_POLICY, isTransient, withRetries, type RetryPolicy } from "./retry";
import { registryUrl } from "./registry-url";

/**
 * The typed SDK: one method per route of the server's route table (`shared/routes.ts`), named by
 * its operationId, taking the route's path parameters, `query` and `body` as the server's zod
 * schemas accept them (z.input) and answering what its response schema produces (z.output).
 *
 *   const registry = createRegistryClient({ url: "http://127.0.0.1:3000" });
 *   const v = await registry.getVersion({ name: "fraud_detector", v: "Production" });
 */

export { DEFAULT_REGISTRY_URL } from "./registry-url";

export type Operation = Route["operationId"];
type RouteOf<Op extends Operation> = Extract<Route, { operationId: Op }>;
type RequestSchema<R, Part extends string> = R extends { request: { [P in Part]: infer S extends z.core.$ZodType } } ? S : never;
/** URLs carry text: a version number may be given as a number. */
type Widened<T> = { [K in keyof T]: T[K] extends string | undefined ? T[K] | number : T[K] };
type PathInput<R> = [RequestSchema<R, "path">] extends [never] ? unknown : Widened<z.input<RequestSchema<R, "path">>>;
type QueryInput<R> = [RequestSchema<R, "query">] extends [never]
  ? unknown
  : // biome-ignore lint/complexity/noBannedTypes: `{} extends T` asks whether every property of T is optional.
    {} extends z.input<RequestSchema<R, "query">>
    ? { query?: Widened<z.input<RequestSchema<R, "query">>> }
    : { query: Widened<z.input<RequestSchema<R, "query">>> };
type BodyInput<R> = [RequestSchema<R, "body">] extends [never]
  ? unknown
  : undefined extends z.input<RequestSchema<R, "body">>
    ? { body?: z.input<RequestSchema<R, "body">> }
    : { body: z.input<RequestSchema<R, "body">> };

/** What a route's method takes: its path parameters, plus `query` and `body` where the route has them. */
export type RequestOf<Op extends Operation> = PathInput<RouteOf<Op>> & QueryInput<RouteOf<Op>> & BodyInput<RouteOf<Op>>;
/** What a route's method answers: its response schema's output. */
export type ResponseOf<Op extends Operation> = z.output<RouteOf<Op>["response"]["schema"]>;

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Writes only. Default: a new UUID per call, sent again with each retry of that call. */
  readonly idempotencyKey?: string;
}

type RouteMethod<Op extends Operation> =
  // biome-ignore lint/complexity/noBannedTypes: `{} extends T` asks whether every property of T is optional.
  {} extends RequestOf<Op>
    ? (input?: RequestOf<Op>, options?: CallOptions) => Promise<ResponseOf<Op>>
    : (input: RequestOf<Op>, options?: CallOptions) => Promise<ResponseOf<Op>>;

export type RouteMethods = { readonly [Op in Operation]: RouteMethod<Op> };

export type Fetch = typeof fetch;

/** What the long operations (push, pull) share with the route methods: the same fetch and retry policy. */
export interface Transport {
  readonly url: URL;
  readonly fetch: Fetch;
  readonly retry: RetryPolicy;
}

export type RegistryClient = RouteMethods & { readonly transport: Transport };

export interface RegistryClientOptions {
  /** Default: REGISTRY_URL, else http://127.0.0.1:3000. */
  readonly url?: string;
  /** Default: SigV4 for an execute-api host, a bearer token when REGISTRY_TOKEN is set, else none. */
  readonly auth?: AuthOption;
  readonly retry?: Partial<RetryPolicy>;
  /** For tests and proxies; default: the global fetch. */
  readonly fetch?: Fetch;
  readonly env?: NodeJS.ProcessEnv;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const env = options.env ?? process.env;
  const url = registryUrl(options.url, env);
  const transport: Transport = { url, fetch: options.fetch ?? fetch, retry: { ...DEFAULT_RETRY_POLICY, ...options.retry } };
  const sign = authenticator(options.auth ?? defaultAuth(url, {}, env), url, env);
  const methods = Object.fromEntries(
    routes.map((route) => [
      route.operationId,
      (input: RouteInput = {}, call: CallOptions = {}) => callRoute(transport, sign, route, input, call),
    ]),
  );
  return { ...(methods as unknown as RouteMethods), transport };
}

interface RouteInput {
  readonly query?: Record<string, unknown>;
  readonly body?: unknown;
  readonly [pathParameter: string]: unknown;
}

/**
 * One call of a route, with retries: GETs on network errors, 429 and 5xx; writes likewise, always
 * with the same Idempotency-Key, so the registry applies a retried write at most once.
 */
async function callRoute(transport: Transport, sign: Authenticator, route: Route, input: RouteInput, call: CallOptions): Promise<unknown> {
  const url = routeUrl(transport.url, route.path, input);
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  if (body !== undefined) assertFitsOneInvocation(route.operationId, body);
  const headers: Record<string, string> = {
    accept: "application/json",
    ...(body === undefined ? {} : { "content-type": "application/json" }),
  };
  if (isWriteRoute(route)) headers[IDEMPOTENCY_HEADER] = call.idempotencyKey ?? randomUUID();
  return withRetries(
    transport.retry,
    isTransient,
    async () => {
      // Signed per attempt: a SigV4 signature carries its time.
      const signed = await sign({ method: route.method, url, headers, body });
      const deadline = answerDeadline(transport.retry.answerTimeoutMs, call.signal);
      try {
        const response = await transport.fetch(url, { method: route.method, headers: signed, body, signal: deadline.signal });
        const text = await response.text();
        if (!response.ok) throw apiError(response, text);
        return answerOf(transport.url, route, url, response.status, text);
      } finally {
        deadline.clear();
      }
    },
    transport.url,
  );
}

/**
 * Refuses, before anything is sent, a body that would make the Lambda event larger than AWS invokes
 * a function with (shared/http/invocation-payload.ts): AWS would refuse it without the registry's word.
 */
export function assertFitsOneInvocation(operation: Operation, body: string): void {
  const bytes = eventBodyBytes(body);
  if (bytes <= MAX_EVENT_BODY_BYTES) return;
  throw new UsageError(
    `The ${operation} request's body takes ${bytes} bytes in the Lambda event, over the ${MAX_EVENT_BODY_BYTES} bytes a request may carry (Lambda's 6 MB invocation payload, docs/client.md); nothing was sent. ${OVERSIZED_REQUEST_ADVICE}`,
  );
}

/**
 * `/models/{name}/versions/{v}` with the input's path parameters, each URL-encoded as one path segment (a
 * greedy `{path+}` too: API Gateway decodes its `%2F` back to `/`); `query` as the query string.
 */
function routeUrl(base: URL, path: string, input: RouteInput): URL {
  const filled = path.replace(/\{(\w+)\+?\}/g, (_, name: string) => {
    const value = input[name];
    if (value === undefined || value === "") throw new TypeError(`${path} needs the path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const url = new URL(base.pathname.replace(/\/$/, "") + filled, base);
  for (const [key, value] of Object.entries(input.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

/**
 * A success's JSON object: every route answers one, with the fields the client cannot do without
 * (`FIELDS_READ`). Anything else (a web page, an empty body, `{}` for a listing) is no registry's
 * answer, and no retry mends it: the address is wrong.
 */
function answerOf(registry: URL, route: Route, url: URL, status: number, text: string): object {
  const json = parsedJson(text);
  const isObject = typeof json === "object" && json !== null && !Array.isArray(json);
  const missing = isObject
    ? FIELDS_READ[route.operationId]?.find((field) => (json as Record<string, unknown>)[field] === undefined)
    : undefined;
  if (isObject && missing === undefined) return json;
  const what = isObject ? `a JSON object without '${missing}'` : "no JSON object";
  throw new RegistryUnavailableError(
    `The registry at ${registry.href} answered ${route.method} ${url.pathname} with ${status} and ${what}: is that the registry's address?`,
    1,
    undefined,
    registry,
  );
}

/** The fields of `T` every answer carries (not optional): the only ones an answer is refused for lacking. */
type AlwaysAnswered<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];

/** What names a version; the other fields the CLI prints are shown as they come. */
const VERSION_FIELDS = ["model", "version"] as const;
const PAGE_FIELDS = ["items"] as const;
const TRANSITION_FIELDS = ["version", "archived"] as const;

/**
 * The fields of each route's answer the client cannot do without (the CLI's lines, push's and
 * pull's next requests): without one, it would fail with a TypeError or name nothing. Not a
 * validation of the answer: other fields, and the routes whose answer is shown as it is, go unchecked.
 */
const FIELDS_READ: { readonly [Op in Operation]?: readonly AlwaysAnswered<ResponseOf<Op>>[] } = {
  resolveModelUri: VERSION_FIELDS,
  getVersion: VERSION_FIELDS,
  registerVersion: VERSION_FIELDS,
  updateVersion: VERSION_FIELDS,
  completeUpload: VERSION_FIELDS,
  deleteVersion: VERSION_FIELDS,
  recordApproval: VERSION_FIELDS,
  listModels: PAGE_FIELDS,
  listVersions: PAGE_FIELDS,
  listHistory: PAGE_FIELDS,
  listApprovals: PAGE_FIELDS,
  listDatasetUsage: PAGE_FIELDS,
  listStageVersions: PAGE_FIELDS,
  listUploads: ["uploads"],
  transitionVersion: TRANSITION_FIELDS,
  rollbackStage: TRANSITION_FIELDS,
  deleteModel: ["model"],
  createModel: ["name"],
  updateModel: ["name"],
  setAlias: ["model", "alias", "version"],
  deleteAlias: ["model", "alias"],
  downloadArtifactFile: ["path", "url", "sizeBytes", "sha256"],
};

/** The registry's `{ error }`, or API Gateway's own `{ message }` (an unsigned request, an unknown route). */
function apiError(response: Response, text: string): RegistryApiError {
  const requestId = response.headers.get("apigw-requestid") ?? undefined;
  const json = parsedJson(text);
  const parsed = errorBody.safeParse(json);
  if (parsed.success) {
    const { code, message, details, requestId: bodyRequestId } = parsed.data.error;
    return new RegistryApiError(response.status, code, message, details, bodyRequestId ?? requestId);
  }
  const message =
    typeof (json as { message?: unknown } | undefined)?.message === "string"
      ? (json as { message: string }).message
      : response.statusText || `HTTP ${response.status}`;
  return new RegistryApiError(response.status, message.replace(/\W+/g, "") || `Http${response.status}`, message, undefined, requestId);
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
