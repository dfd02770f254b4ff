import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import { DynamoDBClient, DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../../infra/local/create-table";
import { localCredentials } from "../../infra/local/engines";
import { DEFAULT_UPLOAD_SETTINGS, configEnvironment, type RegistryConfig } from "../../shared/config";
import { buildVerifierDeps } from "../../shared/verifier-composition";
import type { VerifierDeps } from "../../shared/use-cases/verify-file";
import type { DownloadDeps, KeyMetricDeps, ListingDeps, PromotionDeps, RemovalDeps } from "../../shared/use-cases/deps";
import type { HousekeepingDeps } from "../../shared/use-cases/housekeeping";
import { createDynamoDbClient } from "../../shared/clients";
import { createS3Client } from "../../shared/s3-client";
import { ArtifactDownloads } from "../../shared/store/artifact-downloads";
import { storeModules } from "../../shared/composition";
import { KeyMetricBackfill } from "../../shared/store/key-metric-backfill";
import { Listings } from "../../shared/store/listings";
import { PromotionReads } from "../../shared/store/promotion-reads";
import { RemovalReads } from "../../shared/store/removal-reads";
import { RetentionReads } from "../../shared/store/retention-reads";
import { RetentionRuns } from "../../shared/store/retention-runs";
import { taskQueue, type TaskQueue } from "./verification";
import { TEST_BUCKET } from "./global-setup";
import { ROLES } from "../../shared/domain/permissions";
import type { FunctionName } from "../../shared/routes";
import { TURN_TICKETS_ENTITY } from "../../shared/store/entities/turn-tickets";

export interface TestRegistry {
  readonly config: RegistryConfig;
  /** The use cases' dependencies; completions send their verification tasks to `deps.verifications`, run by `runQueued`. */
  readonly deps: VerifierDeps &
    ListingDeps &
    PromotionDeps &
    RemovalDeps &
    HousekeepingDeps &
    KeyMetricDeps &
    DownloadDeps & { readonly verifications: TaskQueue };
  /** Every item in the table, sorted by key. */
  items(): Promise<Record<string, unknown>[]>;
  /**
   * The registry's state, the test's view of "what changed": every item but the turn queue's
   * counters (the turn tickets and the model's `served`), which order commits and record nothing
   * a caller asked for; a refused change may have taken a turn.
   */
  state(): Promise<Record<string, unknown>[]>;
  /** Sets attributes of one item behind the registry's back: how a test stages what a dead process or the clock left behind. */
  setAttributes(key: { pk: string; sk: string }, attributes: Record<string, unknown>): Promise<void>;
  drop(): Promise<void>;
}

/** What a test registry's table has beyond the items: a stream only for tests that tail it (see ensureTable). */
export interface TestTable {
  readonly stream?: boolean;
}

/** A fresh table on the shared DynamoDB Local, so a test can assert the whole table. */
export async function createTestRegistry(overrides: Partial<RegistryConfig> = {}, table: TestTable = {}): Promise<TestRegistry> {
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
  await ensureTable(client, config.tableName, { stream: table.stream ?? false });
  const items = async () => {
    const found: Record<string, unknown>[] = [];
    // Every page: one Scan answers at most 1 MB.
    for await (const page of paginateScan({ client: documents }, { TableName: config.tableName, ConsistentRead: true }))
      found.push(...(page.Items ?? []));
    return found.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
  };
  return {
    config,
    deps: {
      ...buildVerifierDeps(config),
      // Every store module: the tests call the use cases of every function.
      ...storeModules(config, createDynamoDbClient(config), {
        listings: Listings,
        retentionReads: RetentionReads,
        retentionRuns: RetentionRuns,
        promotionReads: PromotionReads,
        removalReads: RemovalReads,
        keyMetricBackfill: KeyMetricBackfill,
      }),
      downloads: new ArtifactDownloads(createS3Client(config), config.bucketName, () => new Date()),
      verifications: taskQueue(),
    },
    items,
    async state() {
      return (await items()).filter((item) => item.entity !== TURN_TICKETS_ENTITY).map(({ served: _turns, ...item }) => item);
    },
    async setAttributes(key, attributes) {
      const names = Object.keys(attributes);
      await documents.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: key,
          UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(", ")}`,
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, attributes[name]])),
        }),
      );
    },
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: config.tableName }));
      client.destroy();
    },
  };
}

/** This file's registry: created before its tests (before the file's later hooks), dropped after them. */
export function useTestRegistry(overrides: Partial<RegistryConfig> = {}, table: TestTable = {}): TestRegistry {
  const registry = {} as TestRegistry;
  beforeAll(async () => void Object.assign(registry, await createTestRegistry(overrides, table)));
  afterAll(() => registry.drop?.()); // absent if creating it failed: that failure is the one to see
  return registry;
}

/** The registry's dependencies with a store whose commits (`change`) fail after its first `calls`: a request cut off midway. */
export function storeFailingAfter(registry: TestRegistry, calls: number): TestRegistry["deps"] {
  let left = calls;
  const store = new Proxy(registry.deps.store, {
    get(target, property) {
      if (property === "change")
        return (...args: Parameters<typeof target.change>) =>
          left-- > 0 ? target.change(...args) : Promise.reject(new Error("injected: the table stopped answering"));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...registry.deps, store };
}

/** Points the handlers' module-scope config at `registry` (call before importing a handler). */
export function useRegistryEnvironment(registry: TestRegistry): void {
  Object.assign(process.env, configEnvironment(registry.config));
}

/** An API function's handler, as tests call it (every API function's has this type). */
export type ApiHandler = typeof import("../../functions/query/handler")["handler"];

/** The handlers of `functions`, configured for `registry`: each reads its config once, when first imported. */
export async function loadHandlers<F extends FunctionName>(registry: TestRegistry, ...functions: F[]): Promise<Record<F, ApiHandler>> {
  useRegistryEnvironment(registry);
  const handlers = await Promise.all(
    functions.map(async (fn) => [fn, ((await import(`../../functions/${fn}/handler.ts`)) as { handler: ApiHandler }).handler] as const),
  );
  return Object.fromEntries(handlers) as Record<F, ApiHandler>;
}

/** Digits become the letters g–p (a name must not look versioned), keeping all 16 hex values apart: no accidental twins. */
export const uniqueModelName = (base = "churn_predictor"): string =>
  `${base}_${randomUUID()
    .slice(0, 8)
    .replace(/\d/g, (d) => "ghijklmnop"[Number(d)] ?? "x")}`;
