import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";

/**
 * A listing's cursor names the listing it belongs to and the key it stopped at: with the longest
 * filters and ids the registry accepts, the cursor it answers must still be one it takes back.
 */
const registry = useTestRegistry();
let catalog: ApiHandler;
let query: ApiHandler;
beforeAll(async () => {
  ({ catalog, query } = await loadHandlers(registry, "catalog", "query"));
});

async function register(name: string, body: Record<string, unknown>): Promise<void> {
  const response = await catalog(
    apiEvent({
      routeKey: "POST /models/{name}/versions",
      pathParameters: { name },
      body: { source: "s3://training/model.tar.gz", ...body },
    }),
    lambdaContext,
  );
  expect(response.statusCode, response.body).toBe(201);
}

/** Every page of a listing, one item a page, following nextCursor to the end. */
async function everyPage(routeKey: string, pathParameters: Record<string, string>, filters: Record<string, string> = {}) {
  const pages: unknown[][] = [];
  let cursor: string | undefined;
  do {
    const response = await query(
      apiEvent({ routeKey, pathParameters, queryStringParameters: { ...filters, limit: "1", ...(cursor && { cursor }) } }),
      lambdaContext,
    );
    expect(response.statusCode, response.body).toBe(200);
    const page = JSON.parse(response.body ?? "{}") as { items: unknown[]; nextCursor?: string };
    pages.push(page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe("the cursor of a listing with the longest filters or ids is taken back", () => {
  it("pages through versions filtered by 20 tags with long keys and values", async () => {
    const name = uniqueModelName("fraud_detector");
    const tags = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`${i}_${"k".repeat(120)}`, "v".repeat(200)]));
    await register(name, { tags });
    await register(name, { tags });

    const pages = await everyPage(
      "GET /models/{name}/versions",
      { name },
      Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tag.${k}`, v])),
    );

    expect(pages.flat()).toHaveLength(2);
  });

  it("pages through the versions trained on a dataset whose id is 256 characters of a non-Latin script", async () => {
    const name = uniqueModelName("fraud_detector");
    const id = `${name}_${"取".repeat(256 - name.length - 1)}`;
    await register(name, { lineage: { datasets: [{ id }] } });
    await register(name, { lineage: { datasets: [{ id }] } });

    const pages = await everyPage("GET /lineage/datasets/{id+}", { id });

    expect(pages.flat()).toEqual([
      { model: name, version: 1 },
      { model: name, version: 2 },
    ]);
  });
});
