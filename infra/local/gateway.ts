import { createServer, ServerResponse, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHash, randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { routes, routeKey, type FunctionName, type RouteDefinition } from "../../shared/routes";
import { isMlflowPath, mlflowGatewayRefusal } from "../../shared/mlflow/errors";
import { MAX_INVOCATION_PAYLOAD_BYTES, OVERSIZED_REQUEST_ADVICE } from "../../shared/http/invocation-payload";

/**
 * The local stand-in for API Gateway (HTTP API, IAM authorization): it turns each HTTP request
 * into a payload 2.0 event for the function the shared route table names, invokes that
 * function's real Lambda handler, and writes its result back. Handlers cannot tell the
 * difference, so there is no "local mode" anywhere in functions/ or shared/.
 *
 * Its own refusals carry API Gateway's status and `message`, in this order: 401 for a caller
 * without a valid token, 403 for a SigV4 signature that does not verify, 404 `Not Found` for any
 * method and path outside the route table (CONNECT included), 413 for a body over 10 MiB. Unlike
 * AWS, which routes before it authorizes, the caller comes first, so an unknown caller learns
 * nothing about routes. It also answers 413 to a request whose event would exceed Lambda's
 * invocation payload limit (shared/http/invocation-payload.ts): AWS refuses such a request before
 * the function runs, and documents no status for it, so the 413 is the gateway's own, saying what to do.
 * Not done: throttling, CORS, the 30-second integration timeout.
 */

/**
 * Who a request acts as, or why it is refused: `refused`, 401 Unauthorized, as an HTTP API's JWT
 * authorizer answers a missing or unknown bearer token; `forbidden`, 403 with the message IAM
 * authorization gives a signature that does not verify.
 */
export type ActorResolution =
  | { readonly actor: string }
  | { readonly refused: string }
  | { readonly forbidden: { readonly gatewayMessage: string; readonly code: string; readonly message: string } };

/** What a caller resolver may look at: enough to check a bearer token, or to recompute a SigV4 signature. */
export interface CallerRequest {
  readonly method: string;
  /** The request target as received: the path still percent-encoded, and the query string. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** The body's SHA-256 (hex). Reads the body; only a signature check needs it. */
  readonly bodySha256: () => Promise<string>;
}

export type LambdaHandler = (
  event: APIGatewayProxyEventV2WithIAMAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyResultV2 | undefined>;

export interface GatewayOptions {
  /** Loads a function's handler; defaults to importing functions/<fn>/handler.ts. Called once per function. */
  readonly loadHandler?: (fn: FunctionName) => Promise<LambdaHandler>;
  /** The verified caller every request acts as; defaults to `local:<os user>` (docs/local.md, Callers). */
  readonly actor?: string;
  /** Decides the caller from the request instead (a tokens or credentials file); overrides `actor`. */
  readonly resolveActor?: (request: CallerRequest) => ActorResolution | Promise<ActorResolution>;
  /** Defaults to the shared route table. */
  readonly routes?: readonly RouteDefinition[];
  /** No access log line per request. */
  readonly quiet?: boolean;
  /** Where access log lines and invocation failures go; defaults to stdout/stderr. */
  readonly log?: (line: string) => void;
  readonly logError?: (line: string, error?: unknown) => void;
}

/** API Gateway's payload limit for HTTP APIs. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's maximum integration timeout for HTTP APIs; only reported through getRemainingTimeInMillis. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const ACCOUNT_ID = "000000000000";
/** The region the local API plays: a SigV4 signature must be scoped to it, as to the deployed API's. */
export const REGION = "us-east-1";

export function defaultActor(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
  }
  return `local:${user || process.env.USER || process.env.USERNAME || "user"}`;
}

/** Each function's handler module, named statically so that `npm start`'s bundle (./launch.mjs) holds them all. */
const HANDLER_MODULES: Record<FunctionName, () => Promise<{ handler?: unknown }>> = {
  query: () => import("../../functions/query/handler"),
  catalog: () => import("../../functions/catalog/handler"),
  lifecycle: () => import("../../functions/lifecycle/handler"),
  artifacts: () => import("../../functions/artifacts/handler"),
  downloads: () => import("../../functions/downloads/handler"),
};

/** Imports functions/<fn>/handler.ts the way Lambda would load the bundle: once per process. */
export async function importHandler(fn: FunctionName): Promise<LambdaHandler> {
  const { handler } = await HANDLER_MODULES[fn]();
  if (typeof handler !== "function") throw new Error(`functions/${fn}/handler.ts does not export a handler function.`);
  return handler as LambdaHandler;
}

// ---------------------------------------------------------------------------------------------
// Routing

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly key: string;
  /** Per segment: a literal, or the name of a path parameter; a greedy one (`{path+}`, last) takes every segment left. */
  readonly segments: readonly ({ literal: string } | { param: string; greedy: boolean })[];
  readonly literalCount: number;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: RouteDefinition; readonly routeKey: string; readonly pathParameters: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] }
  | { readonly kind: "not-found" };

function compile(route: RouteDefinition): CompiledRoute {
  const segments = route.path
    .split("/")
    .slice(1)
    .map((segment) => {
      const [, param, greedy] = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment) ?? [];
      return param ? { param, greedy: greedy === "+" } : { literal: segment };
    });
  return { route, key: routeKey(route), segments, literalCount: segments.filter((s) => "literal" in s).length };
}

export class MalformedPathError extends Error {}

/**
 * Matches a raw (still percent-encoded) path against the route table as an HTTP API does: the
 * whole path is decoded first, so `%2F` separates segments as `/` does (`/models/a%2Fb` is
 * `/models/a/b`, 404 for `{name}`), then matched segment by segment; a greedy `{path+}` takes
 * the rest, `/`s included, so `files/a/b.bin` and `files/a%2Fb.bin` both name `a/b.bin`. Segments
 * are taken as sent (`..` included: no dot-segment removal). When several templates match, the
 * one with the most literal segments wins, as in API Gateway.
 */
export function createRouter(table: readonly RouteDefinition[]) {
  const compiled = table.map(compile);
  return function match(method: string, rawPath: string): RouteMatch {
    let decoded: string[];
    try {
      decoded = decodeURIComponent(rawPath).split("/").slice(1);
    } catch {
      throw new MalformedPathError(`The path ${rawPath} has a malformed percent-encoding.`);
    }
    const candidates: { compiled: CompiledRoute; pathParameters: Record<string, string> }[] = [];
    for (const c of compiled) {
      const pathParameters = matchSegments(c.segments, decoded);
      if (pathParameters) candidates.push({ compiled: c, pathParameters });
    }
    if (candidates.length === 0) return { kind: "not-found" };
    const forMethod = candidates
      .filter((c) => c.compiled.route.method === method)
      .sort((a, b) => b.compiled.literalCount - a.compiled.literalCount)[0];
    if (forMethod)
      return { kind: "found", route: forMethod.compiled.route, routeKey: forMethod.compiled.key, pathParameters: forMethod.pathParameters };
    return { kind: "method-not-allowed", allow: [...new Set(candidates.map((c) => c.compiled.route.method))].sort() };
  };
}

/** The path parameters when the decoded segments fit the template, each parameter at least one character. */
function matchSegments(template: CompiledRoute["segments"], decoded: readonly string[]): Record<string, string> | undefined {
  const last = template.at(-1);
  const greedy = last !== undefined && "param" in last && last.greedy;
  if (greedy ? decoded.length < template.length : decoded.length !== template.length) return undefined;
  const pathParameters: Record<string, string> = {};
  const fits = template.every((segment, i) => {
    const value = greedy && segment === last ? decoded.slice(i).join("/") : (decoded[i] as string);
    if ("literal" in segment) return segment.literal === value;
    pathParameters[segment.param] = value;
    return value.length > 0;
  });
  return fits ? pathParameters : undefined;
}

// ---------------------------------------------------------------------------------------------
// Events

const TEXT_TYPES = /^(text\/|application\/([\w.+-]+\+)?(json|xml|javascript|x-www-form-urlencoded|graphql|yaml)\b)/i;

/** No content type, or a textual one, travels as a string; anything else as base64 (`isBase64Encoded`). */
export function isTextContentType(contentType: string | undefined): boolean {
  return !contentType || TEXT_TYPES.test(contentType.trim());
}

/** Header names lower-cased, repeated headers joined with commas, cookies split out (payload 2.0). */
function collectHeaders(rawHeaders: readonly string[]): { headers: Record<string, string>; cookies: string[] } {
  const pairs: [string, string][] = [];
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === "cookie")
      cookies.push(
        ...value
          .split(";")
          .map((c) => c.trim())
          .filter(Boolean),
      );
    else pairs.push([name, value]);
  }
  return { headers: joinRepeated(pairs), cookies };
}

/** Query parameters decoded, repeated ones joined with commas; undefined when there are none. */
function collectQuery(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const query = joinRepeated(new URLSearchParams(rawQueryString));
  return Object.keys(query).length > 0 ? query : undefined;
}

/**
 * Values of a repeated name joined with commas. Built as a Map, then own properties: a name such
 * as `constructor` or `__proto__` is a name like any other, never a lookup on Object's prototype.
 */
function joinRepeated(pairs: Iterable<[string, string]>): Record<string, string> {
  const joined = new Map<string, string>();
  for (const [name, value] of pairs) {
    const earlier = joined.get(name);
    joined.set(name, earlier === undefined ? value : `${earlier},${value}`);
  }
  return Object.fromEntries(joined);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");
/** API Gateway's `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(date: Date): string {
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export interface EventInput {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
  readonly sourceIp: string;
  readonly protocol: string;
  readonly actor: string;
  readonly requestId: string;
  readonly now: Date;
}

/** A payload 2.0 event as API Gateway (HTTP API, IAM authorizer) would hand it to the function. */
export function buildEvent(input: EventInput): APIGatewayProxyEventV2WithIAMAuthorizer {
  const { headers, cookies } = collectHeaders(input.rawHeaders);
  const host = headers.host ?? "localhost";
  const text = isTextContentType(headers["content-type"]);
  const hasBody = input.body.length > 0;
  const event: APIGatewayProxyEventV2WithIAMAuthorizer = {
    version: "2.0",
    routeKey: input.routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    queryStringParameters: collectQuery(input.rawQueryString),
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : undefined,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(":")[0]?.split(".")[0] ?? host,
      http: {
        method: input.method,
        path: input.rawPath,
        protocol: input.protocol,
        sourceIp: input.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: "$default",
      time: requestTime(input.now),
      timeEpoch: input.now.getTime(),
      authorizer: {
        iam: {
          accessKey: "LOCAL",
          accountId: ACCOUNT_ID,
          callerId: "local",
          // API Gateway sends null for a caller outside an AWS Organization; the type says string.
          principalOrgId: null as unknown as string,
          userArn: input.actor,
          userId: "local",
          cognitoIdentity: null,
        },
      },
    },
    body: hasBody ? input.body.toString(text ? "utf8" : "base64") : undefined,
    isBase64Encoded: hasBody && !text,
  };
  return event;
}

/** The parts of a Lambda context that handlers and Powertools read. */
export function lambdaContext(fn: FunctionName, requestId: string, startedAt: number): Context {
  const functionName = `model-registry-${fn}`;
  const unsupported = () => {
    throw new Error("The callback-style context methods are not supported; return a promise.");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, startedAt + INTEGRATION_TIMEOUT_MS - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

const TOO_LARGE = Symbol("too large");

interface ReceivedBody {
  readonly bytes: Buffer | typeof TOO_LARGE;
  /** Of every byte received, a body too large included: what a SigV4 signature covers. Only when asked for. */
  readonly sha256?: string;
}

/**
 * Reads the whole body, keeping at most MAX_BODY_BYTES. A larger one is still read to its end:
 * closing the connection while the client is sending resets it, and the client sees EPIPE or
 * ECONNRESET instead of the 413. (Node's requestTimeout bounds a client that never stops.)
 */
function readBody(request: IncomingMessage, options: { sha256: boolean }): Promise<ReceivedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const hash = options.sha256 ? createHash("sha256") : undefined;
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      hash?.update(chunk);
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.once("end", () => resolve({ bytes: size > MAX_BODY_BYTES ? TOO_LARGE : Buffer.concat(chunks), sha256: hash?.digest("hex") }));
    request.once("error", reject);
  });
}

/**
 * One of the gateway's own refusals: API Gateway's status and `message`, plus the registry's
 * error object (README, Routes) saying what to do.
 */
interface Refusal {
  readonly status: number;
  readonly gatewayMessage: string;
  readonly code: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

function refuse(response: ServerResponse, refusal: Refusal, requestId: string): number {
  // MLflow's client reads `{error_code, message}`: the tokens file's refusals of MLflow routes say it that way.
  const body = JSON.stringify(
    isMlflowPath(response.req?.url)
      ? mlflowGatewayRefusal(refusal.status, refusal.message)
      : { message: refusal.gatewayMessage, error: { code: refusal.code, message: refusal.message, requestId } },
  );
  response.writeHead(refusal.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "apigw-requestid": requestId,
    ...refusal.headers,
  });
  response.end(body);
  return refusal.status;
}

function refuseTooLarge(response: ServerResponse, message: string, requestId: string): number {
  return refuse(response, { status: 413, gatewayMessage: "Request Entity Too Large", code: "PayloadTooLarge", message }, requestId);
}

function sendInternalError(response: ServerResponse, requestId: string): void {
  const body = JSON.stringify({
    error: { code: "InternalError", message: `Internal error. Quote request id ${requestId} when reporting it.`, requestId },
  });
  response.writeHead(500, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "apigw-requestid": requestId });
  response.end(body);
}

/** Writes a payload 2.0 result: a structured `{ statusCode, headers, cookies, body }`, or anything else as 200 JSON. */
function sendResult(response: ServerResponse, result: APIGatewayProxyResultV2 | undefined, requestId: string): void {
  const structured = typeof result === "object" && result !== null && "statusCode" in result;
  if (!structured) {
    const body = result === undefined ? "" : typeof result === "string" ? result : JSON.stringify(result);
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "apigw-requestid": requestId,
    });
    response.end(body);
    return;
  }
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    throw new Error(`The handler returned an invalid statusCode: ${String(result.statusCode)}`);
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  const headers: Record<string, string | number | string[]> = { "apigw-requestid": requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers["set-cookie"] = result.cookies;
  headers["content-length"] = body.length;
  if (!headers["content-type"] && body.length > 0) headers["content-type"] = "application/json";
  response.writeHead(statusCode, headers);
  response.end(body);
}

/**
 * Without a tokens or credentials file every request acts as `actor`, whatever it sends. A caller
 * that sends credentials means to be someone else: the log says once that they change nothing.
 */
function everyCallerAs(actor: string, log: (line: string) => void): (request: CallerRequest) => ActorResolution {
  let told = false;
  return ({ headers }) => {
    if (headers.authorization !== undefined && !told) {
      told = true;
      log(
        `A request came with an Authorization header, which this registry ignores: started without a tokens or credentials file (REGISTRY_TOKENS_FILE, REGISTRY_CREDENTIALS_FILE), it lets every request act as ${actor} with every role (docs/local.md, Callers).`,
      );
    }
    return { actor };
  };
}

/** A node:http server that plays API Gateway in front of the registry's Lambda handlers. */
export function createGateway(options: GatewayOptions = {}): Server {
  const match = createRouter(options.routes ?? routes);
  const fixedActor = options.actor ?? defaultActor();
  const loadHandler = options.loadHandler ?? importHandler;
  const log = options.log ?? ((line: string) => console.log(line));
  const resolveActor = options.resolveActor ?? everyCallerAs(fixedActor, log);
  const logError = options.logError ?? ((line: string, error?: unknown) => console.error(line, error ?? ""));
  const handlers = new Map<FunctionName, Promise<LambdaHandler>>();

  const handlerFor = (fn: FunctionName): Promise<LambdaHandler> => {
    let loading = handlers.get(fn);
    if (!loading) {
      loading = loadHandler(fn);
      handlers.set(fn, loading);
      // A handler that fails to load (bad config, syntax error) is retried on the next request.
      loading.catch(() => handlers.delete(fn));
    }
    return loading;
  };

  async function serve(request: IncomingMessage, response: ServerResponse, requestId: string): Promise<number> {
    const method = (request.method ?? "GET").toUpperCase();
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? "" : target.slice(queryAt + 1);

    // Read once, when a signature check (which hashes it as it arrives) or the handler first needs it.
    let received: Promise<ReceivedBody> | undefined;
    const receive = (options = { sha256: false }) => (received ??= readBody(request, options));

    // The caller first: one without a valid token learns nothing about routes, sizes or validation.
    const caller = await resolveActor({
      method,
      target,
      headers: request.headers,
      bodySha256: async () => (await receive({ sha256: true })).sha256 as string,
    });
    if ("refused" in caller) {
      return refuse(
        response,
        {
          status: 401,
          gatewayMessage: "Unauthorized",
          code: "Unauthorized",
          message: caller.refused,
          headers: { "www-authenticate": 'Bearer realm="model-registry"' },
        },
        requestId,
      );
    }
    if ("forbidden" in caller) return refuse(response, { status: 403, ...caller.forbidden }, requestId);

    let found: RouteMatch;
    try {
      found = match(method, rawPath);
    } catch (error) {
      if (!(error instanceof MalformedPathError)) throw error;
      return refuse(response, { status: 400, gatewayMessage: "Bad Request", code: "ValidationError", message: error.message }, requestId);
    }
    // An HTTP API route is a method and a path: any other pair is 404, there is no 405.
    if (found.kind !== "found") {
      const accepted = found.kind === "method-not-allowed" ? ` ${rawPath} accepts ${found.allow.join(", ")}.` : "";
      return refuse(
        response,
        {
          status: 404,
          gatewayMessage: "Not Found",
          code: "RouteNotFound",
          message: `No route ${method} ${rawPath}.${accepted} GET /openapi.json lists every route.`,
        },
        requestId,
      );
    }

    const body = (await receive()).bytes;
    if (body === TOO_LARGE) {
      const message = `The request body exceeds ${MAX_BODY_BYTES} bytes (10 MiB), API Gateway's limit. Upload artifacts to their presigned URLs instead.`;
      return refuseTooLarge(response, message, requestId);
    }

    const startedAt = Date.now();
    const event = buildEvent({
      method,
      rawPath,
      rawQueryString,
      rawHeaders: request.rawHeaders,
      body,
      routeKey: found.routeKey,
      pathParameters: found.pathParameters,
      sourceIp: (request.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      protocol: `HTTP/${request.httpVersion}`,
      actor: caller.actor,
      requestId,
      now: new Date(startedAt),
    });
    const eventBytes = Buffer.byteLength(JSON.stringify(event));
    if (eventBytes > MAX_INVOCATION_PAYLOAD_BYTES) {
      const message = `The request makes a Lambda event of ${eventBytes} bytes, over the ${MAX_INVOCATION_PAYLOAD_BYTES} bytes of Lambda's 6 MB invocation payload limit: AWS refuses it before the function runs. ${OVERSIZED_REQUEST_ADVICE}`;
      return refuseTooLarge(response, message, requestId);
    }
    const fn = found.route.function;
    try {
      const handler = await handlerFor(fn);
      const result = await handler(event, lambdaContext(fn, randomUUID(), startedAt));
      sendResult(response, result, requestId);
      return response.statusCode;
    } catch (error) {
      logError(`${fn}: the invocation for ${found.routeKey} failed (request id ${requestId}):`, error);
      if (!response.headersSent) sendInternalError(response, requestId);
      else response.destroy();
      return 500;
    }
  }

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    serve(request, response, requestId)
      .catch((error: unknown) => {
        logError(`gateway: ${request.method} ${request.url} failed (request id ${requestId}):`, error);
        if (!response.headersSent) sendInternalError(response, requestId);
        else response.destroy();
        return 500;
      })
      .then((status) => {
        if (options.quiet) return;
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log(`${request.method} ${request.url} ${status} ${ms.toFixed(1)} ms`);
      });
  };

  const server = createServer(onRequest);
  // node:http hands CONNECT to this listener only, and without one drops the connection unanswered.
  server.on("connect", (request: IncomingMessage, socket: Socket) => {
    const response = new ServerResponse(request);
    response.assignSocket(socket);
    response.shouldKeepAlive = false;
    response.once("finish", () => socket.end());
    onRequest(request, response);
  });
  return server;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0: any free port). Rejects with the listen error (e.g. EADDRINUSE). */
export async function startGateway(options: GatewayOptions & { port?: number; host?: string } = {}): Promise<RunningGateway> {
  const { port = 0, host = "127.0.0.1", ...gatewayOptions } = options;
  const server = createGateway(gatewayOptions);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
