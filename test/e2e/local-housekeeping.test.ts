import { describe, expect, it } from "vitest";
import { useLocalRegistry } from "../support/local-registry";

/** `npm start` runs the housekeeping function's handler, as the schedule does in AWS (docs/local.md, Housekeeping). */
const registry = useLocalRegistry("registry-housekeeping-", async () => ({ housekeepingMinutes: 0 }));

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${registry.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("housekeeping under npm start", () => {
  it("deletes on demand what the preview showed, recorded as the housekeeping actor with the rule", async () => {
    const model = "fraud_detector";
    for (let i = 0; i < 3; i++) expect((await call("POST", `/models/${model}/versions`, { source: `s3://m/${i}` })).status).toBe(201);
    for (const v of [1, 2]) {
      const archived = await call("POST", `/models/${model}/versions/${v}/transitions`, { to: "Archived", reason: "superseded" });
      expect(archived.status).toBe(200);
    }
    expect((await call("PUT", `/models/${model}/retention`, { keepArchived: 1 })).status).toBe(200);
    const preview = await call("GET", `/models/${model}/retention/preview`);
    expect(preview.json.deletions).toEqual([{ version: 1, stage: "Archived", status: "READY", reason: "retention: keepArchived 1" }]);

    await registry.housekeeping.runNow();

    expect((await call("GET", `/models/${model}/versions/1`)).status).toBe(404);
    expect((await call("GET", `/models/${model}/versions/2`)).status).toBe(200);
    const history = await call("GET", `/models/${model}/history?version=1&limit=1`);
    expect(history.json.items).toEqual([
      expect.objectContaining({ action: "VERSION_DELETED", actor: "housekeeping", reason: "retention: keepArchived 1" }),
    ]);
    expect((await call("GET", `/models/${model}/retention`)).json).toMatchObject({ keepArchived: 1, lastRunAt: expect.any(String) });
  }, 60_000);
});
