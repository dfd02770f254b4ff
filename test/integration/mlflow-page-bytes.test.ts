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
  const version = registerVersionBody.parse({ source: "s3://training/model.tar.gz", ...labels });
  for (const name of names) {
    await createModel(registry.deps, createModelBody.parse({ name, ...labels }), ci);
    await registerVersion(registry.deps, name, version, ci);
  }
}, 300_000);

const searchPage = (pageToken?: string) =>
  query(
    apiEvent({
      routeKey: "GET /api/2.0/mlflow/registered-models/search",
      queryStringParameters: { filter: `name LIKE '${prefix}%'`, max_results: "100", ...(pageToken ? { page_token: pageToken } : {}) },
    }),
    lambdaContext,
  );

describe("an MLflow search of models whose latest versions carry the largest labels", () => {
  it("answers within Lambda's response limit, and the pages after it hold the rest in order", async () => {
    const listed: string[] = [];
    let pageToken: string | undefined;
    do {
      const response = await searchPage(pageToken);
      // What Lambda sends back: the handler's result as JSON, the body a string within it.
      expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
      expect(response.statusCode, response.body?.slice(0, 300)).toBe(200);
      const page = JSON.parse(response.body ?? "{}") as {
        registered_models: { name: string; latest_versions: { description: string }[] }[];
        next_page_token?: string;
      };
      expect(page.registered_models.length).toBeGreaterThan(0);
      for (const model of page.registered_models) expect(model.latest_versions.map((v) => v.description)).toEqual([labels.description]);
      listed.push(...page.registered_models.map((model) => model.name));
      pageToken = page.next_page_token;
    } while (pageToken);
    expect(listed).toEqual(names);
  }, 120_000);
});
