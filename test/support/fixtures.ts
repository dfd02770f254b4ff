import { createHash, randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from "aws-lambda";
import { ROLES, type Caller, type Role } from "../../shared/domain/permissions";
import type { MetricName, MetricsRecorder } from "../../shared/metrics";
import type { UploadView } from "../../shared/schemas/artifact";
import type { VerificationTask } from "../../shared/schemas/verification-task";
import type { VerificationQueue } from "../../shared/store/verification-queue";
import { MAX_METADATA_BYTES } from "../../shared/use-cases/version-metadata";

/** The fixtures handler and use-case tests share; none of them needs DynamoDB Local or s3rver. */

/** A verified caller: the IAM role `role` of the test account, holding every role unless told. */
export const roleCaller = (role: string, requestId: string, roles: readonly Role[] = ROLES): Caller => ({
  actor: `arn:aws:iam::123456789012:role/${role}`,
  requestId,
  roles,
});

/** A verification queue that keeps every task sent, in order, for the test to hand to the verifier. */
export function recordingQueue(): VerificationQueue & { sent: VerificationTask[] } {
  const sent: VerificationTask[] = [];
  return { sent, send: async (tasks) => void sent.push(...tasks) };
}

/** A metrics recorder that keeps every metric recorded, in order. */
export function recordingMetrics(): MetricsRecorder & { recorded: [MetricName, number][] } {
  const recorded: [MetricName, number][] = [];
  return { recorded, record: (name, value = 1) => void recorded.push([name, value]) };
}

/** A row of a table of bad requests: the answer (`status`, error `code`) the registry must give `request`; most are 400 ValidationError. */
export const refusal = <Request>(name: string, request: Request, status = 400, code = "ValidationError") => ({
  name,
  request,
  status,
  code,
});

export const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/** What a training cluster does with a presigned request: PUT the bytes with exactly the headers it was given; resolves with the ETag. */
export async function putBytes(
  request: { readonly url: string; readonly headers: Record<string, string> },
  bytes: Buffer,
): Promise<string> {
  const response = await fetch(request.url, { method: "PUT", headers: request.headers, body: bytes });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.headers.get("etag") ?? "";
}

/** The upload plan of a registration, which must be a single PUT. */
export function singlePut(upload: UploadView | null): Extract<UploadView, { method: "PUT" }> {
  if (upload?.method !== "PUT") throw new Error(`expected a single PUT, got ${JSON.stringify(upload)}`);
  return upload;
}

/** An API Gateway HTTP API (payload 2.0) event as the gateway builds it, for handler tests. */
export function apiEvent(options: {
  routeKey: string;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  actor?: string;
  /** Extra request headers, lower-case names as API Gateway delivers them. */
  headers?: Record<string, string>;
}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [method = "GET", path = "/"] = options.routeKey.split(" ");
  const rawPath = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.pathParameters?.[name] ?? ""));
  const requestId = randomUUID();
  return {
    version: "2.0",
    routeKey: options.routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.queryStringParameters ?? {}).toString(),
    headers: { "content-type": "application/json", ...options.headers },
    queryStringParameters: options.queryStringParameters,
    pathParameters: options.pathParameters,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: {
      accountId: "000000000000",
      apiId: "test",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" },
      requestId,
      routeKey: options.routeKey,
      stage: "$default",
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      authorizer: {
        iam: {
          accessKey: "local",
          accountId: "000000000000",
          callerId: "local",
          cognitoIdentity: null as never,
          principalOrgId: null as never,
          userArn: options.actor ?? "arn:aws:iam::000000000000:user/ci-runner",
          userId: "local",
        },
      },
    },
  } as APIGatewayProxyEventV2WithIAMAuthorizer;
}

export const lambdaContext = { awsRequestId: "test", functionName: "test", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
/** A deployed API function's time (infra/registry-function.ts: 29 s, API Gateway's limit), for requests that take longer than the fixture's 10 s on a busy machine. */
export const apiBudgetContext = { ...lambdaContext, getRemainingTimeInMillis: () => 29_000 } as Context;

/**
 * Metrics filling a version's metadata to within `slack` bytes of its limit: short names, so its JSON holds as many
 * quotes (escaped again wherever the answer is stored or sent as a string) as metadata can.
 */
export function metricsNearTheLimit(slack = 600): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (let i = 0; Buffer.byteLength(JSON.stringify({ metrics })) < MAX_METADATA_BYTES - slack; i++) metrics[`c${i}`] = 0.5;
  return metrics;
}
