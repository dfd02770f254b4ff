import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { useLocalRegistry } from "../support/local-registry";
import { LAUNCHER } from "../support/npm-start";

/** npm start with REGISTRY_TOKENS_FILE: bearer tokens instead of "everyone is local:<user> with every role". */

const repoRoot = resolve(import.meta.dirname, "../..");
const TOKENS = {
  tokens: {
    "alice-secret": { principal: "local:alice", roles: ["reader", "publisher"] },
    "bob-secret": { principal: "local:bob", roles: ["reader"] },
  },
};

const registry = useLocalRegistry("registry-tokens-", async (dataDir) => {
  const tokensFile = join(dataDir, "tokens.json");
  await writeFile(tokensFile, JSON.stringify(TOKENS));
  return { tokensFile };
});

const call = (
  path: string,
  token: string | undefined,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
) =>
  fetch(`${registry.url}${path}`, {
    method: init.method ?? "GET",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });

describe("npm start with a tokens file", () => {
  it("acts as the token's principal with exactly its roles", async () => {
    const name = `fraud_detector_${randomUUID().slice(0, 8).replace(/\d/g, "x")}`;

    const refused = await call("/models", "bob-secret", { method: "POST", body: { name } });
    const created = await call("/models", "alice-secret", { method: "POST", body: { name } });
    const read = await call(`/models/${name}`, "bob-secret");

    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      "needs the 'publisher' role; local:bob has reader",
    );
    expect(created.status).toBe(201);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { createdBy: string }).createdBy).toBe("local:alice");
  });

  it("answers 401 without a known token, before routing, naming no server path", async () => {
    const anonymous = await call("/models", undefined);
    const guessed = await call("/models", "guessed");
    const unknownRoute = await call("/no/such/route", undefined);

    expect([anonymous.status, guessed.status, unknownRoute.status]).toEqual([401, 401, 401]);
    expect(JSON.stringify(await anonymous.json())).not.toContain(registry.dataDir);
  });

  it("answers 403 to a caller without the role before reading its body", async () => {
    const refused = await call("/models", "bob-secret", { method: "POST", rawBody: '{"name":' });

    expect(refused.status).toBe(403);
  });

  it("replays a retried write that carries the same Idempotency-Key, through the gateway", async () => {
    const name = `churn_predictor_${randomUUID().slice(0, 8).replace(/\d/g, "x")}`;
    const register = () =>
      call(`/models/${name}/versions`, "alice-secret", {
        method: "POST",
        body: { source: "s3://m/1" },
        headers: { "Idempotency-Key": "retry-42" },
      });

    const first = await register();
    const retry = await register();
    const versions = await call(`/models/${name}/versions`, "alice-secret");

    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
    expect(((await versions.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it("refuses to start, in one line, when the tokens file is not valid", async () => {
    const badFile = join(registry.dataDir, "bad-tokens.json");
    await writeFile(badFile, JSON.stringify({ tokens: { t: { principal: "local:a", roles: ["owner"] } } }));

    const run = promisify(execFile)(process.execPath, [LAUNCHER], {
      cwd: repoRoot,
      env: { ...process.env, REGISTRY_TOKENS_FILE: badFile, PORT: "0", REGISTRY_DATA_DIR: join(registry.dataDir, "unused") },
    });

    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^REGISTRY_TOKENS_FILE .* is not valid: tokens\.t\.roles\.0: .*\n$/),
    });
  });
});
