import { beforeAll, describe, expect, it } from "vitest";
import { MAX_INVOCATION_PAYLOAD_BYTES } from "../../shared/http/invocation-payload";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { apiBudgetContext, apiEvent, metricsNearTheLimit, roleCaller } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";

const ci = roleCaller("training-ci", "req-page-bytes");
const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
/** One more than the largest page: a full page of them is what a caller asking `limit=100` would get. */
const VERSIONS = 101;
let query: ApiHandler;

beforeAll(async () => {
  ({ query } = await loadHandlers(registry, "query"));
  const input = registerVersionBody.parse({ source: "s3://training/model.tar.gz", metrics: metricsNearTheLimit() });
  for (let version = 1; version <= VERSIONS; version++) await registerVersion(registry.deps, name, input, ci);
}, 300_000);

const listPage = (cursor?: string) =>
  query(
    apiEvent({
      routeKey: "GET /models/{name}/versions",
      pathParameters: { name },
      queryStringParameters: { limit: "100", ...(cursor ? { cursor } : {}) },
    }),
    // On a loaded machine a page of the largest versions took longer than the fixture's 10 s.
    apiBudgetContext,
  );

describe("a page of versions carrying the most metadata allowed", () => {
  it("answers within Lambda's response limit, and the pages after it hold the rest", async () => {
    const listed: number[] = [];
    let cursor: string | undefined;
    do {
      const response = await listPage(cursor);
      // What Lambda sends back: the handler's result as JSON, the body a string within it.
      expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
      expect(response.statusCode).toBe(200);
      const page = JSON.parse(response.body ?? "{}") as { items: { version: number }[]; nextCursor?: string };
      expect(page.items.length).toBeGreaterThan(0);
      listed.push(...page.items.map((item) => item.version));
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual(Array.from({ length: VERSIONS }, (_, i) => VERSIONS - i));
  }, 120_000);
});
