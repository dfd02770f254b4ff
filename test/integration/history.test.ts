import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext, roleCaller } from "../support/fixtures";
import { useTestRegistry, loadHandlers, uniqueModelName, type ApiHandler } from "../support/registry";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../../shared/clients";
import { RegistryStore } from "../../shared/store/registry-store";
import type { HistoryDraft } from "../../shared/domain/history";
import type { ListingDeps, RegistryDeps } from "../../shared/use-cases/deps";
import { createModel } from "../../shared/use-cases/create-model";
import { updateModel } from "../../shared/use-cases/update-model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { updateVersion } from "../../shared/use-cases/update-version";
import { ENTRIES_EXAMINED_PER_PAGE, listHistory } from "../../shared/use-cases/list-history";
import { stagesAt } from "../../shared/use-cases/stages-at";
import { compareVersions } from "../../shared/use-cases/compare-versions";
import { getModel } from "../../shared/use-cases/get-model";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { deleteAlias } from "../../shared/use-cases/delete-alias";
import { setAlias } from "../../shared/use-cases/set-alias";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { listDatasetUsage } from "../../shared/use-cases/list-dataset-usage";
import { registerVersionBody } from "../../shared/schemas/version";
import type { HistoryEntryView } from "../../shared/schemas/history";
import { startGateway, type LambdaHandler } from "../../infra/local/gateway";
import { createRegistryClient } from "../../client/sdk";
import { historyItem } from "../support/history-records";

const ci = roleCaller("ci-runner", "req-1");
const register = (deps: RegistryDeps, name: string, fields: Record<string, unknown> = {}) =>
  registerVersion(
    deps as Parameters<typeof registerVersion>[0],
    name,
    registerVersionBody.parse({ source: "s3://training/model.tar.gz", ...fields }),
    ci,
  );

const registry = useTestRegistry();
let query: ApiHandler;
beforeAll(async () => {
  ({ query } = await loadHandlers(registry, "query"));
});

/** Follows nextCursor to the end, `limit` entries a page. */
async function allPages(name: string, limit: number, version?: number): Promise<HistoryEntryView[][]> {
  const pages: HistoryEntryView[][] = [];
  let cursor: string | undefined;
  do {
    const page = await listHistory(registry.deps, name, {
      version: version === undefined ? undefined : { number: version },
      limit,
      cursor,
    });
    pages.push(page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe("the audit trail", () => {
  it("lists every entry newest first in exact pages, each with who, when, what and the request", async () => {
    const name = uniqueModelName("fraud_detector");
    await createModel(registry.deps, { name }, ci);
    for (let i = 0; i < 5; i++) await register(registry.deps, name);
    await updateModel(registry.deps, name, { description: "Card fraud" }, { ...ci, requestId: "req-describe" });

    const pages = await allPages(name, 3);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    const entries = pages.flat();
    expect(entries.map((e) => e.sequence)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(entries.map((e) => e.action)).toEqual(["MODEL_UPDATED", ...Array(5).fill("VERSION_REGISTERED"), "MODEL_CREATED"]);
    expect(entries[0]).toEqual({
      sequence: 7,
      eventId: expect.any(String),
      action: "MODEL_UPDATED",
      actor: ci.actor,
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      requestId: "req-describe",
      changes: { description: { to: "Card fraud" } },
    });
  });

  it("filters by version: the entries that changed it and the ones that replaced it, still in exact pages", async () => {
    const name = uniqueModelName("churn_predictor");
    for (let i = 0; i < 4; i++) await register(registry.deps, name);
    await updateVersion(registry.deps, name, { number: 2 }, { tags: { reviewed: "yes" } }, ci);
    await registry.deps.store.change(ci, name, (current) => ({
      model: current!,
      history: [{ action: "ALIAS_CHANGED", alias: "champion", version: 3, previousVersion: 2 }],
      result: () => undefined,
    }));

    const pages = await allPages(name, 2, 2);

    expect(pages.map((page) => page.length)).toEqual([2, 1]);
    expect(pages.flat().map((e) => [e.action, e.version, e.previousVersion])).toEqual([
      ["ALIAS_CHANGED", 3, 2],
      ["VERSION_UPDATED", 2, undefined],
      ["VERSION_REGISTERED", 2, undefined],
    ]);
  });

  it("reads at most 1,000 entries a page to filter a long history: a page that found none has a cursor, and the pages hold every match", async () => {
    const name = uniqueModelName("churn_predictor");
    for (let i = 0; i < 2; i++) await register(registry.deps, name);
    const first = (await registry.deps.store.getModel(name))?.historySequence ?? 0;
    // A long history of alias moves to version 2, staged rather than committed one by one.
    const moves = Array.from({ length: ENTRIES_EXAMINED_PER_PAGE + 50 }, (_, i) =>
      historyItem({ action: "ALIAS_CHANGED", alias: "champion", version: 2 }, { model: name, sequence: first + 1 + i }),
    );
    const documents = createDocumentClient(registry.config);
    for (let start = 0; start < moves.length; start += 25) {
      const puts = moves.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      await documents.send(new BatchWriteCommand({ RequestItems: { [registry.config.tableName]: puts } }));
    }

    const pages = await allPages(name, 10, 1);

    const aboutVersion1 = (await allPages(name, 100)).flat().filter((e) => e.version === 1 || e.previousVersion === 1);
    expect(pages[0]).toEqual([]);
    expect(pages.flat()).toEqual(aboutVersion1);
  });

  it("filters by a label, a stage or an alias: the version it names now", async () => {
    const name = uniqueModelName("search_ranker");
    await register(registry.deps, name, { semver: "1.0.0" });
    await register(registry.deps, name, { semver: "1.1.0" });
    await transitionVersion(registry.deps, name, { number: 2 }, transitionBody.parse({ to: "Staging", reason: "evaluated" }), ci);
    await setAlias(registry.deps, name, "challenger", { version: 2 }, ci);
    const about = async (selector: string) => {
      const response = await query(
        apiEvent({ routeKey: "GET /models/{name}/history", pathParameters: { name }, queryStringParameters: { version: selector } }),
        lambdaContext,
      );
      return (JSON.parse(response.body ?? "{}") as { items: HistoryEntryView[] }).items.map((e) => e.action);
    };

    const expected = ["ALIAS_CHANGED", "STAGE_CHANGED", "VERSION_REGISTERED"];
    expect(await about("v1.1.0")).toEqual(expected);
    expect(await about("Staging")).toEqual(expected);
    expect(await about("challenger")).toEqual(expected);
    expect(await about("1")).toEqual(["VERSION_REGISTERED"]);
  });

  it("answers 404 ModelNotFound for a model that does not exist", async () => {
    await expect(listHistory(registry.deps, uniqueModelName("ghost_model"), { limit: 10 })).rejects.toMatchObject({
      code: "ModelNotFound",
    });
  });
});

describe("which version held each stage and alias at an instant", () => {
  const at = (hour: number, minute = 0) => `2024-03-01T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00.000Z`;
  let name: string;
  let deps: ListingDeps;

  /** One committed change with the given history entries, stamped at `time`. */
  let clock = new Date(at(10));
  const commitAt = (time: string, history: HistoryDraft[]) => {
    clock = new Date(time);
    return deps.store.change(ci, name, (current) => ({ model: current!, history, result: () => undefined }));
  };
  const move = (version: number, fromStage: string, toStage: string, previousVersion?: number): HistoryDraft => ({
    action: "STAGE_CHANGED",
    version,
    fromStage,
    toStage,
    previousVersion,
    reason: "test",
  });

  beforeAll(async () => {
    name = uniqueModelName("search_ranker");
    // A store whose clock the test sets, so that each change happens at a known instant.
    deps = {
      ...registry.deps,
      store: new RegistryStore(createDocumentClient(registry.config), registry.config.tableName, () => clock, randomUUID),
    };
    for (let i = 0; i < 3; i++) await register(deps, name);
    await commitAt(at(11), [move(1, "None", "Staging")]);
    await commitAt(at(12), [move(1, "Staging", "Production"), { action: "ALIAS_CHANGED", alias: "champion", version: 1 }]);
    await commitAt(at(13), [move(2, "None", "Staging")]);
    await commitAt(at(13, 30), [move(2, "Staging", "Production", 1), move(1, "Production", "Archived")]);
    await commitAt(at(13, 45), [
      { action: "ALIAS_CHANGED", alias: "champion", version: 2, previousVersion: 1 },
      move(3, "None", "Staging"),
    ]);
    await commitAt(at(14), [{ action: "ALIAS_CHANGED", alias: "champion", previousVersion: 2 }]);
  });

  it.each([
    [at(10), {}, {}],
    [at(11, 30), { Staging: [1] }, {}],
    [at(12), { Production: 1 }, { champion: 1 }],
    [at(13, 15), { Production: 1, Staging: [2] }, { champion: 1 }],
    [at(13, 30), { Production: 2 }, { champion: 1 }],
    [at(13, 50), { Production: 2, Staging: [3] }, { champion: 2 }],
    ["2030-01-01T00:00:00.000Z", { Production: 2, Staging: [3] }, {}],
  ])("at %s answers stages %j and aliases %j", async (time, stages, aliases) => {
    const answer = await stagesAt(deps, name, time);

    expect(answer).toEqual({ time, stages: { Staging: [], ...stages }, aliases });
  });

  it("reads an instant with an offset as the same moment in UTC", async () => {
    const answer = await stagesAt(deps, name, "2024-03-01T14:30:00+02:00");

    expect(answer).toEqual({ time: at(12, 30), stages: { Production: 1, Staging: [] }, aliases: { champion: 1 } });
  });

  it("answers 404 ModelNotFound with the creation time for an instant before the model existed", async () => {
    await expect(stagesAt(deps, name, "2024-03-01T09:59:59.999Z")).rejects.toMatchObject({
      code: "ModelNotFound",
      details: { createdAt: at(10) },
    });
  });

  it("answers 400 ValidationError for a time that is not an ISO instant", async () => {
    const response = await query(
      apiEvent({ routeKey: "GET /models/{name}/history/at", pathParameters: { name }, queryStringParameters: { time: "yesterday" } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? "{}").error).toMatchObject({ code: "ValidationError", details: [{ path: "query.time" }] });
  });

  it.each(["9999-12-31T23:59:59-12:00", "0000-01-01T00:00:00+01:00"])(
    "answers 400 ValidationError for %s, an instant outside the years 0000 to 9999 in UTC, which no history entry's time compares with",
    async (time) => {
      const response = await query(
        apiEvent({ routeKey: "GET /models/{name}/history/at", pathParameters: { name }, queryStringParameters: { time } }),
        lambdaContext,
      );

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body ?? "{}").error).toMatchObject({
        code: "ValidationError",
        details: [{ path: "query.time", message: expect.stringContaining("from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z") }],
      });
    },
  );

  it("serves the answer through the query function", async () => {
    const response = await query(
      apiEvent({ routeKey: "GET /models/{name}/history/at", pathParameters: { name }, queryStringParameters: { time: at(12, 30) } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? "{}")).toEqual({
      time: at(12, 30),
      stages: { Production: 1, Staging: [] },
      aliases: { champion: 1 },
    });
  });
});

describe("history replayed to now", () => {
  it("agrees with the model's stages and aliases after real promotions, a rollback and alias moves", async () => {
    const name = uniqueModelName("fraud_detector");
    const move = (version: number, to: string) =>
      transitionVersion(registry.deps, name, { number: version }, transitionBody.parse({ to, reason: `to ${to}` }), ci);
    for (let i = 0; i < 4; i++) await register(registry.deps, name);
    await move(1, "Staging");
    await move(1, "Production");
    await setAlias(registry.deps, name, "champion", { version: 1 }, ci);
    await move(2, "Staging");
    await move(2, "Production");
    await setAlias(registry.deps, name, "champion", { version: 2 }, ci);
    await setAlias(registry.deps, name, "challenger", { version: 3 }, ci);
    await rollbackProduction(registry.deps, name, { reason: "incident" }, ci);
    await move(3, "Staging");
    await move(4, "Staging");
    await deleteAlias(registry.deps, name, "challenger", ci);

    const replayed = await stagesAt(registry.deps, name, new Date().toISOString());
    const model = await getModel(registry.deps, name);

    expect(replayed.stages).toEqual({ Production: 1, Staging: [3, 4] });
    expect(replayed.stages).toEqual({
      Staging: [],
      ...model.stages,
      ...(model.stages.Staging ? { Staging: [...model.stages.Staging].sort((a, b) => a - b) } : {}),
    });
    expect(replayed.aliases).toEqual(model.aliases);
    expect(replayed.aliases).toEqual({ champion: 2 });
  });
});

describe("comparing two versions", () => {
  it("resolves both versions and reports metric deltas and metadata differences", async () => {
    const name = uniqueModelName("fraud_detector");
    await register(registry.deps, name, {
      metrics: { auc: 0.95, f1: 0.8 },
      params: { max_depth: 6 },
      features: ["amount"],
      lineage: { datasets: [{ id: "fraud_training", version: "v1" }] },
    });
    await register(registry.deps, name, {
      metrics: { auc: 0.97, f1: 0 },
      params: { max_depth: 8 },
      features: ["amount", "hour"],
      lineage: { datasets: [{ id: "fraud_training", version: "v2" }], parentVersions: [1] },
    });

    const comparison = await compareVersions(registry.deps, name, [{ number: 1 }, { number: 2 }]);

    expect(comparison).toMatchObject({
      model: name,
      a: { version: 1 },
      b: { version: 2 },
      metrics: {
        auc: { a: 0.95, b: 0.97, delta: 0.02, deltaPercent: 2.10526315789 },
        f1: { a: 0.8, b: 0, delta: -0.8, deltaPercent: -100 },
      },
      params: { changed: { max_depth: { a: 6, b: 8 } } },
      features: { added: ["hour"], removed: [] },
      lineage: { parentVersions: { added: [1], removed: [] }, datasets: { changed: [{ id: "fraud_training" }] } },
    });
  });

  it("answers 400 through the query function when versions does not name exactly two", async () => {
    const response = await query(
      apiEvent({
        routeKey: "GET /models/{name}/compare",
        pathParameters: { name: "fraud_detector" },
        queryStringParameters: { versions: "1,2,3" },
      }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? "{}").error.message).toContain("exactly two versions");
  });
});

describe("versions trained on a dataset", () => {
  it("lists each version of each model that names the dataset, with the dataset version, in exact pages", async () => {
    const dataset = `transactions-${randomUUID()}`;
    // Listed in model name order: churn_predictor_… before fraud_detector_….
    const [churn, fraud] = [uniqueModelName("churn_predictor"), uniqueModelName("fraud_detector")];
    await register(registry.deps, churn, { lineage: { datasets: [{ id: dataset, version: "2024-01" }] } });
    await register(registry.deps, churn, { lineage: { datasets: [{ id: "something_else" }] } });
    await register(registry.deps, churn, { lineage: { datasets: [{ id: dataset, version: "2024-02" }, { id: "merchants" }] } });
    await register(registry.deps, fraud, { lineage: { datasets: [{ id: dataset }] } });

    const first = await listDatasetUsage(registry.deps, dataset, { limit: 2 });
    const second = await listDatasetUsage(registry.deps, dataset, { limit: 2, cursor: first.nextCursor });

    expect([...first.items, ...second.items]).toEqual([
      { model: churn, version: 1, datasetVersion: "2024-01" },
      { model: churn, version: 3, datasetVersion: "2024-02" },
      { model: fraud, version: 1 },
    ]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("lists the versions of a dataset whose id holds slashes (s3://…), asked for through the gateway as the SDK asks", async () => {
    const dataset = `s3://training/transactions/${randomUUID()}.parquet`;
    const name = uniqueModelName("fraud_detector");
    await register(registry.deps, name, { lineage: { datasets: [{ id: dataset, version: "2024-01" }] } });
    const gateway = await startGateway({ quiet: true, loadHandler: async () => query as LambdaHandler });
    try {
      const client = createRegistryClient({ url: gateway.url, env: {} });

      const usage = await client.listDatasetUsage({ id: dataset });

      expect(usage).toEqual({ items: [{ model: name, version: 1, datasetVersion: "2024-01" }] });
    } finally {
      await gateway.close();
    }
  });

  it("answers an empty list for a dataset no version names", async () => {
    expect(await listDatasetUsage(registry.deps, `unknown-${randomUUID()}`, { limit: 10 })).toEqual({ items: [] });
  });
});
