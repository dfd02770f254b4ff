import { beforeAll, describe, expect, it } from "vitest";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoDbClient } from "../../shared/clients";
import { MAX_INVOCATION_PAYLOAD_BYTES } from "../../shared/http/invocation-payload";
import { registerVersionBody, versionMetadata } from "../../shared/schemas/version";
import { newVersionItem } from "../../shared/store/entities/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { putRetentionRules } from "../../shared/use-cases/retention-rules";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { apiEvent, lambdaContext, roleCaller } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";

const admin = roleCaller("ops-admin", "req-retention-preview-bytes");
const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
/** Archived versions 1…100, all named by keepArchived 0: the even ones are parents of every later version, so they stay. */
const ARCHIVED = 100;
const PARENTS = Array.from({ length: ARCHIVED / 2 }, (_, i) => 2 * (i + 1));
/**
 * READY versions in None, numbered from 10 digits on, that list the 50 parents: each parent's `because`
 * names all of them. Written straight to the table, as registering this many one by one would take
 * minutes; the preview reads them as it reads any version.
 */
const CHILDREN = 12_000;
const FIRST_CHILD = 1_000_000_000;
const BATCH_WRITE_ITEMS = 25;
/** Time enough for DynamoDB Local to read the model's 12,000 versions for each page (seconds, where DynamoDB takes a fraction of one). */
const apiContext = { ...lambdaContext, getRemainingTimeInMillis: () => 120_000 };
let query: ApiHandler;

beforeAll(async () => {
  ({ query } = await loadHandlers(registry, "query"));
  for (let version = 1; version <= ARCHIVED; version++) {
    await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://training/${version}` }), admin);
    await transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "", archiveExisting: false }, admin);
  }
  await putRetentionRules(registry.deps, name, { keepArchived: 0 }, admin);
  await writeChildren();
}, 300_000);

async function writeChildren(): Promise<void> {
  const dynamo = createDynamoDbClient(registry.config);
  const metadata = versionMetadata.parse({ lineage: { parentVersions: PARENTS } });
  const now = new Date().toISOString();
  const items = Array.from({ length: CHILDREN }, (_, i) =>
    newVersionItem({ model: name, version: FIRST_CHILD + i, metadata, source: "s3://training/child", status: "READY", actor: "ci", now }),
  );
  for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS) {
    let requests = items.slice(start, start + BATCH_WRITE_ITEMS).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await dynamo.send(new BatchWriteCommand({ RequestItems: { [registry.config.tableName]: requests } }));
      requests = (UnprocessedItems?.[registry.config.tableName] ?? []) as typeof requests;
    }
  }
}

type Verdict = { version: number; because?: string };

describe("the retention preview of a model whose spared parents each have 12,000 children", () => {
  it("answers within Lambda's response limit, and the pages after it hold the rest of the plan in order", async () => {
    const deletions: Verdict[] = [];
    const spared: Verdict[] = [];
    let cursor: string | undefined;
    do {
      const response = await query(
        apiEvent({
          routeKey: "GET /models/{name}/retention/preview",
          pathParameters: { name },
          queryStringParameters: { limit: "100", ...(cursor ? { cursor } : {}) },
        }),
        apiContext,
      );
      // What Lambda sends back: the handler's result as JSON, the body a string within it.
      expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
      expect(response.statusCode, response.body?.slice(0, 300)).toBe(200);
      const page = JSON.parse(response.body ?? "{}") as { deletions: Verdict[]; spared: Verdict[]; nextCursor?: string };
      expect(page.deletions.length + page.spared.length).toBeGreaterThan(0);
      deletions.push(...page.deletions);
      spared.push(...page.spared);
      cursor = page.nextCursor;
    } while (cursor);

    const newestFirst = (versions: number[]) => [...versions].sort((a, b) => b - a);
    const children = Array.from({ length: CHILDREN }, (_, i) => FIRST_CHILD + CHILDREN - 1 - i).join(", ");
    expect(deletions.map((verdict) => verdict.version)).toEqual(newestFirst(PARENTS.map((parent) => parent - 1)));
    expect(spared.map((verdict) => verdict.version)).toEqual(newestFirst(PARENTS));
    for (const verdict of spared) expect(verdict.because).toBe(`lineage parent of version ${children}`);
  }, 300_000);
});
