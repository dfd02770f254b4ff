import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { createDocumentClient, createDynamoDbClient } from "../../shared/clients";
import { RegistryStore } from "../../shared/store/registry-store";
import { DEFAULT_RETRY_POLICY } from "../../shared/store/model-change";
import { roleCaller, sha256 } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { createModel } from "../../shared/use-cases/create-model";
import { getModel } from "../../shared/use-cases/get-model";
import { getVersion } from "../../shared/use-cases/get-version";
import { listVersions } from "../../shared/use-cases/list-versions";
import { listModels } from "../../shared/use-cases/list-models";
import { resolveModelUri } from "../../shared/use-cases/resolve-model-uri";
import { parseModelUri } from "../../shared/domain/model-uri";
import { registerVersion } from "../../shared/use-cases/register-version";
import { updateVersion } from "../../shared/use-cases/update-version";
import { registerVersionBody, type RegisterVersionInput } from "../../shared/schemas/version";
import type { VersionFilters } from "../../shared/store/registry-store";

const ci = roleCaller("ci-runner", "req-1");
const noFilters: VersionFilters = { minMetrics: {}, maxMetrics: {}, tags: {} };
const body = (fields: Record<string, unknown> = {}): RegisterVersionInput =>
  registerVersionBody.parse({ source: "s3://training/run-1/model.tar.gz", ...fields });

const registry = useTestRegistry();

/** How long 50 concurrent registrations may take: a minute and more when CI's machine is busiest. */
const CONCURRENT_REGISTRATIONS_MS = 120_000;

/**
 * A store of its own, as each process has, whose changes keep re-planning up to the test's own
 * timeout rather than the deployed 25 s (giving up is model-commit.test.ts's): these tests are about
 * which numbers the registrations get, and on a busy CI machine 50 processes' turns on DynamoDB Local
 * outlasted 25 s.
 */
const storeOfItsOwn = (dynamodb: DynamoDBClient) =>
  new RegistryStore(createDocumentClient(registry.config, dynamodb), registry.config.tableName, () => new Date(), randomUUID, {
    retry: { ...DEFAULT_RETRY_POLICY, deadlineMs: CONCURRENT_REGISTRATIONS_MS - 10_000 },
  });

describe("registering versions against DynamoDB Local", () => {
  it.each([
    ["all from one process", () => registry.deps],
    ["each from a process of its own", (dynamodb: DynamoDBClient) => ({ ...registry.deps, store: storeOfItsOwn(dynamodb) })],
  ])(
    "gives 50 concurrent registrations on one model exactly the versions 1..50, %s",
    async (_, depsOf) => {
      const name = uniqueModelName();
      await createModel(registry.deps, { name }, ci);
      const dynamodb = createDynamoDbClient(registry.config);

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          registerVersion(depsOf(dynamodb), name, body({ params: { seed: i } }), { ...ci, requestId: `req-${i}` }),
        ),
      ).finally(() => dynamodb.destroy());

      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const model = await getModel(registry.deps, name);
      expect(model).toMatchObject({ latestVersion: 50, latestRegisteredVersion: 50 });
      const history = (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "history");
      expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
      const registeredVersions = history.filter((h) => h.action === "VERSION_REGISTERED").map((h) => h.version);
      expect(new Set(registeredVersions).size).toBe(50);
      // Each version carries the params of the request that got its number: no write was lost or crossed.
      for (const result of results) {
        const stored = await getVersion(registry.deps, name, { number: result.version });
        expect(stored.params).toEqual(result.params);
      }
    },
    CONCURRENT_REGISTRATIONS_MS,
  );

  it(
    "takes turns across processes: 50 concurrent registrations, each from a process of its own, commit with few lost attempts",
    async () => {
      const name = uniqueModelName();
      await createModel(registry.deps, { name }, ci);
      const dynamodb = createDynamoDbClient(registry.config);
      let commits = 0;
      dynamodb.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === "TransactWriteItemsCommand") commits++;
          return next(args);
        },
        { step: "initialize" },
      );

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          registerVersion({ ...registry.deps, store: storeOfItsOwn(dynamodb) }, name, body(), {
            ...ci,
            requestId: `req-${i}`,
          }),
        ),
      ).finally(() => dynamodb.destroy());

      expect(new Set(results.map((r) => r.version)).size).toBe(50);
      // Contenders that only retried (decorrelated jitter) needed about 170 commits for these 50: most collided again.
      expect(commits).toBeLessThan(75);
    },
    CONCURRENT_REGISTRATIONS_MS,
  );

  it("gives as latestVersion the newest READY version, the one models:/<name>/latest names, and the highest number as latestRegisteredVersion", async () => {
    const name = uniqueModelName();
    await createModel(registry.deps, { name }, ci);
    expect(await getModel(registry.deps, name)).toMatchObject({ latestVersion: null, latestRegisteredVersion: null });
    await registerVersion(registry.deps, name, body(), ci);
    const bytes = Buffer.from(`bytes of ${name}`);
    const pending = await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes) } }),
      ci,
    );
    expect(pending).toMatchObject({ version: 2, status: "PENDING_UPLOAD" });

    const latest = parseModelUri(`models:/${name}/latest`);
    if (!latest) throw new Error("models:/<name>/latest is a model URI");
    const resolved = await resolveModelUri(registry.deps, { uri: `models:/${name}/latest`, ...latest });
    expect(resolved.version).toBe(1);
    expect(await getModel(registry.deps, name)).toMatchObject({ latestVersion: 1, latestRegisteredVersion: 2 });
    const listed = await listModels(registry.deps, { prefix: name, limit: 10 });
    expect(listed.items).toEqual([expect.objectContaining({ name, latestVersion: 1, latestRegisteredVersion: 2 })]);
  });

  it("round-trips every metadata field intact and stamps the caller as createdBy", async () => {
    const name = uniqueModelName("fraud_detector");
    const metadata = {
      description: "XGBoost on 2023 transactions",
      metrics: { auc: 0.982, precision: 0.923, "val.loss": 0.0123456789, lift: -1.5e-7 },
      params: { max_depth: 6, learning_rate: 0.1, objective: "binary:logistic", early_stopping: true },
      features: ["amount", "merchant_category", "hour_of_day"],
      modelType: "gradient_boosting",
      framework: "xgboost",
      frameworkVersion: "1.7.0",
      trainedAt: "2024-01-15T10:30:00Z",
      dependencies: { xgboost: "1.7.0", pandas: "1.4.0" },
      lineage: {
        parentVersions: [],
        datasets: [{ id: "fraud_training", version: "v1.2", uri: "s3://data/fraud/2024-01-15/", sha256: "a".repeat(64) }],
        codeCommit: "abc123def456",
        experimentId: "exp_20240115_001",
        runId: "run-42",
      },
      tags: { team: "risk", "ü-key": "välue ✓" },
    };

    const registered = await registerVersion(registry.deps, name, body({ ...metadata, semver: "2.1.3" }), ci);
    const fetched = await getVersion(registry.deps, name, { semver: "2.1.3" });

    expect(registered).toMatchObject({ version: 1, semver: "2.1.3", status: "READY", stage: "None", upload: null });
    expect(fetched).toMatchObject({
      ...metadata,
      model: name,
      version: 1,
      createdBy: ci.actor,
      source: "s3://training/run-1/model.tar.gz",
    });
    expect(fetched.uri).toBe(`models:/${name}/1`);
  });

  it("creates the model on first registration and derives semver labels with bump", async () => {
    const name = uniqueModelName("search_ranker");
    const first = await registerVersion(registry.deps, name, body({ bump: "minor" }), ci);
    const second = await registerVersion(registry.deps, name, body({ bump: "patch" }), ci);
    const third = await registerVersion(registry.deps, name, body({ bump: "major" }), ci);

    expect([first.semver, second.semver, third.semver]).toEqual(["0.1.0", "0.1.1", "1.0.0"]);
    expect((await getModel(registry.deps, name)).createdBy).toBe(ci.actor);
  });

  it("returns 409 SemverConflict for a label already taken and writes nothing", async () => {
    const name = uniqueModelName("demand_forecaster");
    await registerVersion(registry.deps, name, body({ semver: "1.0.0" }), ci);
    const before = await registry.state();

    await expect(registerVersion(registry.deps, name, body({ semver: "1.0.0" }), ci)).rejects.toMatchObject({
      code: "SemverConflict",
    });
    expect(await registry.state()).toEqual(before);
  });

  it("records description and tag edits with before and after in history", async () => {
    const name = uniqueModelName("credit_scorer");
    await registerVersion(registry.deps, name, body({ tags: { team: "risk" } }), ci);

    const updated = await updateVersion(registry.deps, name, { number: 1 }, { tags: { team: "lending" } }, ci);

    expect(updated.tags).toEqual({ team: "lending" });
    const history = (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.action === "VERSION_UPDATED");
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      version: 1,
      actor: ci.actor,
      changes: { tags: { from: { team: "risk" }, to: { team: "lending" } } },
    });
  });
});

describe("listing versions against DynamoDB Local", () => {
  const name = uniqueModelName("churn_predictor");

  beforeAll(async () => {
    for (let i = 1; i <= 25; i++) {
      await registerVersion(
        registry.deps,
        name,
        body({ metrics: { auc: (75 + i) / 100 }, tags: { parity: i % 2 === 0 ? "even" : "odd" } }),
        ci,
      );
    }
  });

  async function collectAll(filters: VersionFilters, limit: number): Promise<{ versions: number[]; pages: number }> {
    const versions: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listVersions(registry.deps, name, filters, { limit, cursor });
      versions.push(...page.items.map((v) => v.version));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    return { versions, pages };
  }

  it("returns every version once, newest first, across a page boundary in the middle", async () => {
    const { versions, pages } = await collectAll(noFilters, 10);

    expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
    expect(pages).toBe(3);
  });

  it("applies metric and tag filters and still pages exactly", async () => {
    const { versions } = await collectAll({ ...noFilters, minMetrics: { auc: 0.85 }, tags: { parity: "even" } }, 3);

    expect(versions).toEqual([24, 22, 20, 18, 16, 14, 12, 10]);
  });

  it("combines minimum and maximum metric bounds", async () => {
    const { versions } = await collectAll({ ...noFilters, minMetrics: { auc: 0.85 }, maxMetrics: { auc: 0.89 } }, 25);

    expect(versions).toEqual([14, 13, 12, 11, 10]);
  });

  it("returns no cursor when the last page is exactly full", async () => {
    const page = await listVersions(registry.deps, name, noFilters, { limit: 25 });

    expect(page.items).toHaveLength(25);
    expect(page.nextCursor).toBeUndefined();
  });

  it("rejects a cursor from another listing", async () => {
    const page = await listVersions(registry.deps, name, noFilters, { limit: 5 });

    await expect(
      listVersions(registry.deps, name, { ...noFilters, stage: "Staging" }, { limit: 5, cursor: page.nextCursor }),
    ).rejects.toMatchObject({ code: "ValidationError" });
  });
});
