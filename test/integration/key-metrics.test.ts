import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRegistryDeps, storeModules } from "../../shared/composition";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { KeyMetricBackfill } from "../../shared/store/key-metric-backfill";
import { createDocumentClient, createDynamoDbClient } from "../../shared/clients";
import { ValidationError } from "../../shared/domain/errors";
import type { VersionFilters } from "../../shared/store/registry-store";
import { updateModelBody } from "../../shared/schemas/model";
import { registerVersionBody } from "../../shared/schemas/version";
import { createModel } from "../../shared/use-cases/create-model";
import { deleteModel } from "../../shared/use-cases/delete-model";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { listHistory } from "../../shared/use-cases/list-history";
import { listVersions } from "../../shared/use-cases/list-versions";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { VERSIONS_INDEXED_ON_DECLARATION, updateModel } from "../../shared/use-cases/update-model";
import { roleCaller, sha256 } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const ci = roleCaller("training-ci", "req-key-metrics");
const registry = useTestRegistry();

type Metrics = Record<string, number>;
const register = (name: string, metrics: Metrics, tags: Record<string, string> = {}) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://training/${name}/model.tar.gz`, metrics, tags }), ci);
const declare = (name: string, keyMetrics: unknown) => updateModel(registry.deps, name, updateModelBody.parse({ keyMetrics }), ci);
const noFilters: VersionFilters = { minMetrics: {}, maxMetrics: {}, tags: {} };
const archive = (name: string, version: number) =>
  transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "superseded", archiveExisting: false }, ci);

/** Every page of a listing through the use case, following cursors to the end. */
async function walk(name: string, filters: VersionFilters, limit: number): Promise<number[]> {
  const versions: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await listVersions(registry.deps, name, filters, { limit, cursor });
    versions.push(...page.items.map((item) => item.version));
    cursor = page.nextCursor;
  } while (cursor);
  return versions;
}

const metricIndexItems = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && String(item.sk).startsWith("METRIC#"));

describe("a model's versions listed by a key metric's index, against DynamoDB Local", () => {
  const name = uniqueModelName("fraud_detector");
  /** Decimals, negatives and ties; a version may lack a metric. */
  const metricValue = fc.option(
    fc.integer({ min: -3000, max: 3000 }).map((n) => n / 1000),
    { nil: undefined },
  );
  const registered: { version: number; metrics: Metrics; team: string }[] = [];

  beforeAll(async () => {
    const drawn = fc.sample(fc.record({ auc: metricValue, loss: metricValue, team: fc.constantFrom("a", "b") }), { numRuns: 40, seed: 7 });
    for (const [i, { auc, loss, team }] of drawn.entries()) {
      const metrics = Object.fromEntries(Object.entries({ auc, loss }).filter(([, value]) => value !== undefined)) as Metrics;
      const version = await register(name, metrics, { team });
      registered.push({ version: version.version, metrics, team });
      // Half the versions exist before the declaration (indexed by it), half after (indexed by their registration).
      if (i === 19)
        await declare(name, [
          { name: "auc", direction: "max" },
          { name: "loss", direction: "min" },
        ]);
    }
  }, 120_000);

  it("indexes the versions that existed when declared, from version 1, and records the declaration in history", async () => {
    const model = await registry.deps.store.getModel(name);
    expect(model?.keyMetrics).toEqual([
      { name: "auc", direction: "max", indexedFrom: 1 },
      { name: "loss", direction: "min", indexedFrom: 1 },
    ]);
    const expected = registered.flatMap(({ metrics }) => Object.keys(metrics)).length;
    expect(await metricIndexItems(name)).toHaveLength(expected);
    const history = await listHistory(registry.deps, name, { limit: 100 });
    expect(history.items.find((entry) => entry.action === "MODEL_UPDATED")?.changes).toMatchObject({
      keyMetrics: { to: [{ name: "auc" }, { name: "loss" }] },
    });
  });

  it("returns exactly the versions a full read would, in the metric's order, across pages", async () => {
    const bound = fc.option(
      fc.integer({ min: -3000, max: 3000 }).map((n) => n / 1000),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("auc", "loss"),
        fc.constantFrom("ascending", "descending", "unsorted"),
        bound,
        bound,
        fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
        fc.integer({ min: 1, max: 7 }),
        async (metric, sort, min, max, team, limit) => {
          fc.pre(sort !== "unsorted" || min !== undefined || max !== undefined);
          const filters: VersionFilters = {
            minMetrics: min === undefined ? {} : { [metric]: min },
            maxMetrics: max === undefined ? {} : { [metric]: max },
            tags: team === undefined ? {} : { team },
            ...(sort !== "unsorted" && { sort: { metric, descending: sort === "descending" } }),
          };
          const descending = sort === "unsorted" ? metric === "auc" : sort === "descending";
          const value = (metrics: Metrics) => metrics[metric] as number;
          const expected = registered
            .filter(({ metrics }) => metric in metrics && value(metrics) >= (min ?? -Infinity) && value(metrics) <= (max ?? Infinity))
            .filter((version) => team === undefined || version.team === team)
            .sort((a, b) => value(a.metrics) - value(b.metrics) || a.version - b.version)
            .map(({ version }) => version);

          expect(await walk(name, filters, limit)).toEqual(descending ? expected.reverse() : expected);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it("refuses a sort by a metric the model does not declare, saying how to declare it, and changes nothing", async () => {
    const before = await registry.state();
    const sorted = listVersions(registry.deps, name, { ...noFilters, sort: { metric: "precision", descending: true } }, { limit: 10 });

    await expect(sorted).rejects.toThrow(ValidationError);
    await expect(sorted).rejects.toThrow(/may sort by metric\.auc, metric\.loss.*"keyMetrics": \[\{"name": "precision"/);
    expect(await registry.state()).toEqual(before);
  });

  it("refuses a cursor moved outside the metric's range, or into another partition", async () => {
    const filters: VersionFilters = { ...noFilters, minMetrics: { auc: 0 }, sort: { metric: "auc", descending: true } };
    const first = await registry.deps.listings.listVersionsByMetric(name, { metric: "auc", descending: true, indexedFrom: 1 }, filters, {
      limit: 2,
    });
    const decoded = JSON.parse(Buffer.from(first.nextCursor ?? "", "base64url").toString("utf8")) as {
      s: string;
      k: Record<string, string>;
    };
    const forge = (key: Record<string, string>) =>
      Buffer.from(JSON.stringify({ ...decoded, k: { ...decoded.k, ...key } })).toString("base64url");

    for (const cursor of [
      forge({ sk: "METRIC#auc#0000000000000000#0000000001" }),
      forge({ sk: "METRIC#loss#c000000000000000#0000000001" }),
      forge({ pk: "MODEL#other" }),
    ]) {
      const page = registry.deps.listings.listVersionsByMetric(name, { metric: "auc", descending: true, indexedFrom: 1 }, filters, {
        limit: 2,
        cursor,
      });
      await expect(page).rejects.toThrow(ValidationError);
    }
  });
});

describe("key metric index items live and die with their versions", () => {
  it("deletes a version's index items with it, and a model's with the model", async () => {
    const name = uniqueModelName("churn_predictor");
    await createModel(registry.deps, { name }, ci);
    await declare(name, [{ name: "auc", direction: "max" }]);
    for (const auc of [0.7, 0.9, 0.8]) await register(name, { auc, loss: 1 - auc });
    await archive(name, 2);

    await deleteVersion(registry.deps, name, { number: 2 }, ci);

    expect((await metricIndexItems(name)).map((item) => item.version)).toEqual([1, 3]);
    expect(await walk(name, { ...noFilters, sort: { metric: "auc", descending: true } }, 10)).toEqual([3, 1]);
    await deleteModel(registry.deps, name, ci);
    expect(await metricIndexItems(name)).toEqual([]);
  });

  it("keeps a registration with 64 files, 20 datasets, a label and 3 key metrics within one transaction", async () => {
    const name = uniqueModelName("sharded");
    await createModel(registry.deps, { name }, ci);
    await declare(
      name,
      ["auc", "loss", "f1"].map((metric) => ({ name: metric, direction: "max" })),
    );
    const files = Array.from({ length: 64 }, (_, i) => ({
      path: `shards/part-${i}.bin`,
      sizeBytes: 10,
      sha256: sha256(`${name}-${i}`),
      contentType: "application/octet-stream",
    }));

    const registered = await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({
        files,
        semver: "1.0.0",
        metrics: { auc: 0.9, loss: 0.1, f1: 0.8 },
        lineage: { datasets: Array.from({ length: 20 }, (_, i) => ({ id: `dataset_${i}` })) },
      }),
      ci,
    );

    expect(registered.version).toBe(1);
    expect(await metricIndexItems(name)).toHaveLength(3);
  });
});

describe("a key metric declared while versions are being registered", () => {
  const ROUNDS = 10;
  /** A store of its own for each request, as in Lambda: their changes contend in DynamoDB, not in one process. */
  const elsewhere = () => ({ ...registry.deps, store: buildRegistryDeps(registry.config).store });

  it("ends with every version in the index, whichever commits first", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = uniqueModelName("ranker");
      for (const auc of [0.1, 0.2]) await register(name, { auc });

      await Promise.all([
        updateModel(elsewhere(), name, updateModelBody.parse({ keyMetrics: [{ name: "auc", direction: "max" }] }), ci),
        ...[0.3, 0.4, 0.5].map((auc) =>
          registerVersion(elsewhere(), name, registerVersionBody.parse({ source: "s3://training/model.tar.gz", metrics: { auc } }), ci),
        ),
      ]);

      expect((await registry.deps.store.getModel(name))?.keyMetrics).toEqual([{ name: "auc", direction: "max", indexedFrom: 1 }]);
      expect(await metricIndexItems(name)).toHaveLength(5);
      expect(await walk(name, { ...noFilters, sort: { metric: "auc", descending: false } }, 2)).toHaveLength(5);
    }
  }, 120_000);

  it("declared again while versions are registered, ends with exactly the versions there in the index: none deleted before", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = uniqueModelName("ranker");
      for (const auc of [0.1, 0.2, 0.3]) await register(name, { auc });
      await declare(name, [{ name: "auc", direction: "max" }]);
      await declare(name, []);
      await archive(name, 2);
      await deleteVersion(registry.deps, name, { number: 2 }, ci);

      const auc = updateModelBody.parse({ keyMetrics: [{ name: "auc", direction: "max" }] });
      await Promise.all([
        updateModel(elsewhere(), name, auc, ci),
        updateModel(elsewhere(), name, auc, ci),
        ...[0.4, 0.5].map((value) =>
          registerVersion(
            elsewhere(),
            name,
            registerVersionBody.parse({ source: "s3://training/model.tar.gz", metrics: { auc: value } }),
            ci,
          ),
        ),
      ]);

      const fullRead = (await registry.deps.retentionReads.allVersions(name)).sort((a, b) => (b.metrics.auc ?? 0) - (a.metrics.auc ?? 0));
      expect((await metricIndexItems(name)).map((item) => item.version).sort()).toEqual([1, 3, 4, 5]);
      expect(await walk(name, { ...noFilters, sort: { metric: "auc", descending: true } }, 2)).toEqual(fullRead.map((v) => v.version));
    }
  }, 120_000);
});

describe("a key metric declared by two requests while a version is deleted", () => {
  it("keeps no index item of the deleted version: the declaration that lost indexes again and removes the one it wrote", async () => {
    const name = uniqueModelName("ranker");
    for (const auc of [0.1, 0.2, 0.3]) await register(name, { auc });
    await archive(name, 2);
    const auc = updateModelBody.parse({ keyMetrics: [{ name: "auc", direction: "max" }] });
    // The other declaration and the deletion commit after this one's backfill read the versions, before it writes their items.
    let raced = false;
    const documents = createDocumentClient(registry.config);
    const racedWrites = new Proxy(documents, {
      get: (target, property) =>
        property !== "send"
          ? Reflect.get(target, property, target)
          : async (command: Parameters<typeof documents.send>[0]) => {
              if (command instanceof BatchWriteCommand && !raced) {
                raced = true;
                await updateModel(registry.deps, name, auc, ci);
                await deleteVersion(registry.deps, name, { number: 2 }, ci);
              }
              return target.send(command);
            },
    });

    await updateModel(
      { ...registry.deps, keyMetricBackfill: new KeyMetricBackfill(racedWrites, registry.config.tableName) },
      name,
      auc,
      ci,
    );

    expect(raced).toBe(true);
    expect((await metricIndexItems(name)).map((item) => item.version)).toEqual([1, 3]);
  });
});

describe(`a key metric declared on a model of more than ${VERSIONS_INDEXED_ON_DECLARATION} versions`, () => {
  const name = uniqueModelName("ranker");
  const versions = VERSIONS_INDEXED_ON_DECLARATION + 1;
  const aucOf = (version: number) => (version % 50) / 100;

  beforeAll(async () => {
    for (let version = 1; version <= versions; version++) await register(name, { auc: aucOf(version) });
    await declare(name, [{ name: "auc", direction: "max" }]);
    for (const version of [versions + 1, versions + 2]) await register(name, { auc: aucOf(version) });
  }, 300_000);

  it("is indexed from the next version on; its bounds read the versions, its sort lists the indexed ones", async () => {
    const model = await registry.deps.store.getModel(name);
    expect(model?.keyMetrics).toEqual([{ name: "auc", direction: "max", indexedFrom: versions + 1 }]);

    const bounded = await walk(name, { ...noFilters, minMetrics: { auc: 0.49 } }, 10);
    const sorted = await walk(name, { ...noFilters, sort: { metric: "auc", descending: true } }, 10);

    expect(bounded).toEqual([199, 149, 99, 49]); // newest first, every version read
    expect(sorted).toEqual([versions + 2, versions + 1]); // auc 0.03, 0.02: the indexed versions only
  });

  it("declared again after its removal, sorts only the versions registered since: none its earlier declaration indexed", async () => {
    await declare(name, []);
    const whileUndeclared = await register(name, { auc: 0.49 });
    await declare(name, [{ name: "auc", direction: "max" }]);
    const since = await register(name, { auc: 0.01 });

    const model = await registry.deps.store.getModel(name);
    expect(model?.keyMetrics).toEqual([{ name: "auc", direction: "max", indexedFrom: whileUndeclared.version + 1 }]);
    expect(await walk(name, { ...noFilters, sort: { metric: "auc", descending: true } }, 10)).toEqual([since.version]);
    expect(await walk(name, { ...noFilters, minMetrics: { auc: 0.49 } }, 10)).toEqual([whileUndeclared.version, 199, 149, 99, 49]);
  });
});

describe("a key metric removed, then declared again on a model of few versions", () => {
  it("keeps the index item of a version registered under a declaration that committed while its own read the versions", async () => {
    const name = uniqueModelName("ranker");
    for (const auc of [0.1, 0.2]) await register(name, { auc });
    await declare(name, [{ name: "auc", direction: "max" }]);
    await declare(name, []);
    let registeredMeanwhile: Promise<unknown> | undefined;
    /** Once this declaration has read the versions, another declares the metric first and a version is registered under it. */
    const client = createDynamoDbClient(registry.config);
    client.middlewareStack.add(
      (next) => async (args) => {
        const output = await next(args);
        const input = args.input as { ProjectionExpression?: string };
        if (input.ProjectionExpression === "#version, #metrics")
          registeredMeanwhile ??= declare(name, [{ name: "auc", direction: "max" }]).then(() => register(name, { auc: 0.3 }));
        await registeredMeanwhile;
        return output;
      },
      { step: "initialize" },
    );
    const auc = updateModelBody.parse({ keyMetrics: [{ name: "auc", direction: "max" }] });

    const onClient = {
      store: buildRegistryDeps(registry.config, client).store,
      ...storeModules(registry.config, client, { keyMetricBackfill: KeyMetricBackfill }),
    };
    await updateModel({ ...registry.deps, ...onClient }, name, auc, ci);

    expect(registeredMeanwhile).toBeDefined();
    expect((await metricIndexItems(name)).map((item) => item.version)).toEqual([1, 2, 3]);
  });

  it("indexes every version again, and none deleted meanwhile: its index item goes with the declaration", async () => {
    const name = uniqueModelName("ranker");
    await createModel(registry.deps, { name }, ci);
    await declare(name, [{ name: "auc", direction: "max" }]);
    for (const auc of [0.7, 0.9, 0.8]) await register(name, { auc });
    await declare(name, [{ name: "loss", direction: "min" }]);
    await register(name, { auc: 0.95 });
    await archive(name, 2);
    await deleteVersion(registry.deps, name, { number: 2 }, ci);
    expect((await metricIndexItems(name)).map((item) => item.version)).toEqual([1, 3, 2]); // 2's item outlived it, undeclared

    await declare(name, [{ name: "auc", direction: "max" }]);

    expect((await metricIndexItems(name)).map((item) => item.version)).toEqual([1, 3, 4]);
    expect(await walk(name, { ...noFilters, sort: { metric: "auc", descending: true } }, 2)).toEqual([4, 3, 1]);
    expect(await walk(name, { ...noFilters, minMetrics: { auc: 0.75 } }, 2)).toEqual([4, 3]);
  });
});
