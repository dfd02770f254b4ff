import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { DynamoDBClient, DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from "aws-lambda";
import { ensureTable } from "../../infra/local/create-table";
import { localCredentials } from "../../infra/local/engines";
import { DEFAULT_UPLOAD_SETTINGS, configEnvironment, type RegistryConfig } from "../../shared/config";
import { buildArtifactDeps } from "../../shared/artifacts-composition";
import type { ArtifactDeps } from "../../shared/use-cases/deps";
import { TEST_BUCKET } from "./global-setup";
import { ROLES } from "../../shared/domain/permissions";

export interface TestRegistry {
  readonly config: RegistryConfig;
  readonly deps: ArtifactDeps;
  /** Every item in the table, sorted by key: the test's view of "what changed". */
  items(): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

/** A fresh table on the shared DynamoDB Local, so a test can assert the whole table. */
export async function createTestRegistry(overrides: Partial<RegistryConfig> = {}): Promise<TestRegistry> {
  const config: RegistryConfig = {
    region: "us-east-1",
    tableName: `registry-${randomUUID()}`,
    bucketName: TEST_BUCKET,
    busName: "model-registry-test",
    namingPolicy: "strict",
    endpoints: { dynamodb: inject("dynamoEndpoint"), s3: inject("s3Endpoint") },
    logLevel: "SILENT",
    uploads: DEFAULT_UPLOAD_SETTINGS,
    roleBindings: [{ pattern: "*", roles: ROLES }],
    ...overrides,
  };
  const client = new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb, credentials: localCredentials });
  const documents = DynamoDBDocumentClient.from(client);
  await ensureTable(client, config.tableName);
  return {
    config,
    deps: buildArtifactDeps(config),
    async items() {
      const { Items = [] } = await documents.send(new ScanCommand({ TableName: config.tableName, ConsistentRead: true }));
      return Items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
    },
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: config.tableName }));
      client.destroy();
    },
  };
}

/** Points the handlers' module-scope config at `registry` (call before importing a handler). */
export function useRegistryEnvironment(registry: TestRegistry): void {
  Object.assign(process.env, configEnvironment(registry.config));
}

/** Digits become the letters g–p (a name must not look versioned), keeping all 16 hex values apart: no accidental twins. */
export const uniqueModelName = (base = "churn_predictor"): string => `${base}_${randomUUID().slice(0, 8).replace(/\d/g, (d) => "ghijklmnop"[Number(d)] ?? "x")}`;

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
