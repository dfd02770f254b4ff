import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm, symlink, mkdir } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { routes } from "../../shared/routes";
import { launchNpmStart, startNpmStart, type Exit, type NpmStart, type NpmStartProcess } from "../support/npm-start";

/**
 * The slow end-to-end tier: `npm start` exactly as a user runs it (its launcher, a child process, real
 * DynamoDB Local and s3rver), driven over HTTP, stopped with SIGTERM.
 */

const SLOW = 120_000;

/** Every `npm start` this file ran, killed at the end should a test fail midway. */
const started: NpmStartProcess[] = [];
const launch = (env: NodeJS.ProcessEnv) => {
  const launched = launchNpmStart(env);
  started.push(launched);
  return launched;
};
const startServer = async (dataDir: string) => {
  const server = await startNpmStart(dataDir);
  started.push(server);
  return server;
};

/** SIGTERM to the program the user started (node), as `kill <pid>` would; resolves with its exit. */
async function stopServer(server: NpmStart, withinMs = 15_000): Promise<Exit> {
  server.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`npm start did not exit within ${withinMs} ms of SIGTERM:\n${server.output()}`)), withinMs);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolveProbe(false);
    });
    socket.once("error", () => resolveProbe(false));
  });
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

const expectedActor = `local:${userInfo().username}`;
const tempDirs: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};

afterAll(async () => {
  await Promise.all(started.map((launched) => launched.killHard()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("npm start (local registry)", () => {
  let server: NpmStart;

  beforeAll(async () => {
    server = await startServer(await tempDir("registry-e2e-"));
  }, SLOW);

  it(
    "serves the registry API from the same handlers, then stops its engines on SIGTERM",
    async () => {
      const { url } = server;

      // health
      expect(await call(url, "GET", "/health")).toMatchObject({ status: 200, body: { status: "ok" } });

      // create a model
      const created = await call(url, "POST", "/models", { name: "fraud_detector" });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ name: "fraud_detector", createdBy: expectedActor });
      expect((await call(url, "POST", "/models", { name: "fraud_detector" })).body.error.code).toBe("ModelAlreadyExists");

      // register with an external source: READY at once
      const first = await call(url, "POST", "/models/fraud_detector/versions", {
        source: "s3://training-output/fraud_detector/run-41/model.tar.gz",
        description: "XGBoost on October transactions",
        metrics: { auc: 0.94, f1: 0.81 },
        params: { max_depth: 6, learning_rate: 0.1, early_stopping: true },
        features: ["amount", "merchant_category", "hour_of_day"],
        tags: { team: "risk" },
        lineage: { parentVersions: [], datasets: [{ id: "transactions", version: "2024-10" }], codeCommit: "4f2a9c1" },
        bump: "minor",
      });
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.body).toMatchObject({ version: 1, status: "READY", semver: "0.1.0", createdBy: expectedActor });

      const second = await call(url, "POST", "/models/fraud_detector/versions", {
        source: "runs:/run-42/model",
        metrics: { auc: 0.86, f1: 0.77 },
        bump: "minor",
      });
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      expect(second.body).toMatchObject({ version: 2, status: "READY", semver: "0.2.0" });

      // list with a metric filter
      const good = await call(url, "GET", "/models/fraud_detector/versions?minMetric.auc=0.9");
      expect(good.status, JSON.stringify(good.body)).toBe(200);
      expect(good.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
      const all = await call(url, "GET", "/models/fraud_detector/versions");
      expect(all.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);

      // one version, by number and by semver label
      const byNumber = await call(url, "GET", "/models/fraud_detector/versions/1");
      expect(byNumber.status, JSON.stringify(byNumber.body)).toBe(200);
      expect(byNumber.body).toMatchObject({
        version: 1,
        semver: "0.1.0",
        metrics: { auc: 0.94 },
        features: ["amount", "merchant_category", "hour_of_day"],
      });
      const bySemver = await call(url, "GET", "/models/fraud_detector/versions/v0.1.0");
      expect(bySemver.status, JSON.stringify(bySemver.body)).toBe(200);
      expect(bySemver.body.version).toBe(1);

      // tags are editable
      const patched = await call(url, "PATCH", "/models/fraud_detector/versions/1", { tags: { team: "risk", reviewed: "yes" } });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.tags).toEqual({ team: "risk", reviewed: "yes" });
      expect((await call(url, "GET", "/models/fraud_detector/versions/1")).body.tags).toEqual({ team: "risk", reviewed: "yes" });

      // naming policy (strict by default)
      const versioned = await call(url, "POST", "/models", { name: "fraud_detector_v2" });
      expect(versioned.status).toBe(400);
      expect(versioned.body.error.code).toBe("ValidationError");
      expect(versioned.body.error.message.toLowerCase()).toContain("register a new version of fraud_detector");

      // bad input and unknown routes are answered, not crashed on
      const malformed = await call(url, "POST", "/models", '{"name":');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe("ValidationError");
      const unknown = await call(url, "GET", "/no/such/route");
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe("RouteNotFound");
      const wrongMethod = await call(url, "DELETE", "/models");
      expect(wrongMethod.status).toBe(404);
      expect(wrongMethod.body.error.message).toContain("/models accepts GET, POST");

      // the OpenAPI document lists every route
      const openapi = await call(url, "GET", "/openapi.json");
      expect(openapi.status).toBe(200);
      expect(openapi.body.openapi).toBe("3.1.0");
      for (const route of routes) {
        expect(openapi.body.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
      }

      // SIGTERM: exit 0, and DynamoDB Local (Java) is gone with it
      expect(await acceptsConnections(server.dynamodbPort)).toBe(true);
      const exit = await stopServer(server);
      expect(exit, server.output()).toEqual({ code: 0, signal: null });
      expect(await acceptsConnections(server.dynamodbPort)).toBe(false);
      expect(await acceptsConnections(server.s3Port)).toBe(false);
      expect(await acceptsConnections(Number(new URL(server.url).port))).toBe(false);
    },
    SLOW,
  );
});

describe("npm start data directory", () => {
  it(
    "keeps models across a restart on the same REGISTRY_DATA_DIR",
    async () => {
      const dataDir = await tempDir("registry-e2e-restart-");
      const first = await startServer(dataDir);
      const registered = await call(first.url, "POST", "/models/churn_predictor/versions", {
        source: "s3://training-output/churn/model.pkl",
        metrics: { auc: 0.88 },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      expect((await stopServer(first)).code).toBe(0);

      const second = await startServer(dataDir);
      try {
        const model = await call(second.url, "GET", "/models/churn_predictor");
        expect(model.status, JSON.stringify(model.body)).toBe(200);
        expect(model.body).toMatchObject({ name: "churn_predictor", latestVersion: 1 });
        const version = await call(second.url, "GET", "/models/churn_predictor/versions/1");
        expect(version.body).toMatchObject({ version: 1, status: "READY", metrics: { auc: 0.88 } });
      } finally {
        expect((await stopServer(second)).code).toBe(0);
      }
    },
    SLOW,
  );
});

describe("npm start without Java", () => {
  it(
    "says so in one line and exits non-zero",
    async () => {
      const bin = await tempDir("registry-e2e-nojava-");
      await mkdir(bin, { recursive: true });
      await symlink(process.execPath, join(bin, "node"));
      const { exited, stdout, stderr } = launch({ PATH: bin, PORT: "0", REGISTRY_DATA_DIR: join(bin, "data") });
      const exit = await exited;

      expect(exit.code, `${stdout()}\n${stderr()}`).not.toBe(0);
      expect(exit.code).not.toBeNull();
      const lines = stderr().trim().split("\n");
      expect(lines, stderr()).toHaveLength(1);
      expect(lines[0]).toMatch(/Java/);
      expect(stdout()).not.toContain("Model registry API");
    },
    SLOW,
  );
});
