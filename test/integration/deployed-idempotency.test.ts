import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { deployedHandler } from "../support/function-bundle";
import { uniqueModelName, useRegistryEnvironment, useTestRegistry, type ApiHandler } from "../support/registry";

// Inside the repository, so that the bundle finds the AWS SDK in node_modules as the runtime provides it.
const bundlesDir = join(process.cwd(), ".registry", "deployed-idempotency");
const registry = useTestRegistry();
let catalog: ApiHandler;
beforeAll(async () => {
  await mkdir(bundlesDir, { recursive: true });
  useRegistryEnvironment(registry);
  catalog = await deployedHandler("catalog", bundlesDir);
});
afterAll(() => rm(bundlesDir, { recursive: true, force: true }));

const createModel = (name: string, description: string, key: string) =>
  catalog(apiEvent({ routeKey: "POST /models", body: { name, description }, headers: { "idempotency-key": key } }), lambdaContext);

describe("Idempotency-Key through a deployed bundle, which loads Powertools idempotency from its own file beside it", () => {
  it("replays the first answer to a retry with the same key and body", async () => {
    const name = uniqueModelName();
    const key = randomUUID();

    const first = await createModel(name, "churn", key);
    const retry = await createModel(name, "churn", key);

    expect(first.statusCode).toBe(201);
    expect(retry).toEqual({ ...first, headers: { ...first.headers, "idempotent-replayed": "true" } });
  });

  it("answers 409 IdempotencyKeyReused to the same key with another body: Powertools' error becomes the registry's", async () => {
    const name = uniqueModelName();
    const key = randomUUID();
    await createModel(name, "churn", key);

    const reused = await createModel(name, "fraud", key);

    expect(reused.statusCode).toBe(409);
    expect(JSON.parse(reused.body ?? "").error.code).toBe("IdempotencyKeyReused");
  });
});
