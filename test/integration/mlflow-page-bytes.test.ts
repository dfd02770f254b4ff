import { beforeAll, describe, expect, it } from "vitest";
import { MAX_INVOCATION_PAYLOAD_BYTES } from "../../shared/http/invocation-payload";
import { createModelBody } from "../../shared/schemas/model";
import { registerVersionBody } from "../../shared/schemas/version";
import { createModel } from "../../shared/use-cases/create-model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { apiEvent, lambdaContext, roleCaller } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";

const ci = roleCaller("training-ci", "req-mlflow-page-bytes");
const registry = useTestRegistry();
const prefix = uniqueModelName("wide");
/** Fewer than a page: with their latest versions, more than Lambda answers at once. */
const MODELS = 45;
/** Each model's versions, all from one training run: twice as many versions as models, fewer than a page of them too. */
const VERSIONS_PER_MODEL = 2;
const runId = `run-${prefix}`;
/** The largest labels a model or a version takes: 50 tags of the longest key, values and a description of quotes (each escaped as two bytes). */
const labels = {
  description: '"'.repeat(4096),
  tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${String(i).padStart(2, "0")}${"k".repeat(126)}`, '"'.repeat(256)])),
};
/** Letters in name order (a model name must not look versioned): aa, ab, … */
const names = Array.from({ length: MODELS }, (_, i) => `${prefix}_${letter(i / 26)}${letter(i % 26)}`);
let query: ApiHandler;

function letter(n: number): string {
  return String.fromCharCode(97 + Math.floor(n));
}

beforeAll(async () => {
  ({ query } = await loadHandlers(registry, "query"));
  const version = registerVersionBody.parse({ source: "s3://training/model.tar.gz", lineage: { runId }, ...labels });
  for (const name of names) {
    await createModel(registry.deps, createModelBody.parse({ name, ...labels }), ci);
    for (let i = 0; i < VERSIONS_PER_MODEL; i++) await registerVersion(registry.deps, name, version, ci);
  }
}, 300_000);

/** Every page of an MLflow search, each checked to fit what Lambda answers: the items of all pages in order. */
async function searchAll<T>(endpoint: string, filter: string, itemsOf: (page: Record<string, unknown>) => T[]): Promise<T[]> {
  const listed: T[] = [];
  let pageToken: string | undefined;
  do {
    const response = await query(
      apiEvent({
        routeKey: `GET /api/2.0/mlflow/${endpoint}`,
        queryStringParameters: { filter, max_results: "100", ...(pageToken ? { page_token: pageToken } : {}) },
      }),
      lambdaContext,
    );
    // What Lambda sends back: the handler's result as JSON, the body a string within it.
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
    expect(response.statusCode, response.body?.slice(0, 300)).toBe(200);
    const page = JSON.parse(response.body ?? "{}") as Record<string, unknown>;
    const items = itemsOf(page);
    expect(items.length).toBeGreaterThan(0);
    listed.push(...items);
    pageToken = page.next_page_token as string | undefined;
  } while (pageToken);
  return listed;
}

type Listed = { name: string; version?: string; description: string; latest_versions?: { description: string }[] };

describe("MLflow searches over versions carrying the largest labels", () => {
  it("of models answer within Lambda's response limit, and the pages after it hold the rest in order", async () => {
    const models = await searchAll("registered-models/search", `name LIKE '${prefix}%'`, (page) => page.registered_models as Listed[]);

    expect(models.map((model) => model.name)).toEqual(names);
    for (const model of models) expect(model.latest_versions?.map((v) => v.description)).toEqual([labels.description]);
  }, 120_000);

  it("of a run's versions answer within Lambda's response limit, and the pages after it hold the rest in order", async () => {
    const versions = await searchAll("model-versions/search", `run_id = '${runId}'`, (page) => page.model_versions as Listed[]);

    const expected = names.flatMap((name) => Array.from({ length: VERSIONS_PER_MODEL }, (_, i) => `${name}/${i + 1}`));
    expect(versions.map((version) => `${version.name}/${version.version}`)).toEqual(expected);
    expect(new Set(versions.map((version) => version.description))).toEqual(new Set([labels.description]));
  }, 120_000);
});
