import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../infra/local/engines";
import { routeKey, routes } from "../shared/routes";
import { median } from "./stats";

/** Fresh starts per way of starting, interleaved: one start on a shared machine varies by hundreds of ms. */
const ROUNDS = 3;
const MODEL = "bench_start";
const v1 = `/models/${MODEL}/versions/1`;

const MLFLOW = "/api/2.0/mlflow";
const ML_MODEL = "bench_start_mlflow";
const mlVersion = { name: ML_MODEL, version: "1" };
const mlQuery = (fields: Record<string, string>) => `?${new URLSearchParams(fields)}`;
/** The MLflow-compatible routes, with the bodies and query parameters MLflow's client sends (refusals included). */
const MLFLOW_FIRST_REQUESTS: Record<string, { path: string; body?: unknown }> = {
  [`POST ${MLFLOW}/registered-models/create`]: { path: `${MLFLOW}/registered-models/create`, body: { name: ML_MODEL } },
  [`POST ${MLFLOW}/registered-models/rename`]: { path: `${MLFLOW}/registered-models/rename`, body: { name: ML_MODEL, new_name: "x" } },
  [`PATCH ${MLFLOW}/registered-models/update`]: {
    path: `${MLFLOW}/registered-models/update`,
    body: { name: ML_MODEL, description: "bench" },
  },
  // A model that is not there (a refusal through the whole handler): the others' requests need theirs.
  [`DELETE ${MLFLOW}/registered-models/delete`]: { path: `${MLFLOW}/registered-models/delete`, body: { name: `${ML_MODEL}_gone` } },
  [`GET ${MLFLOW}/registered-models/get`]: { path: `${MLFLOW}/registered-models/get${mlQuery({ name: ML_MODEL })}` },
  [`GET ${MLFLOW}/registered-models/search`]: { path: `${MLFLOW}/registered-models/search${mlQuery({ filter: `name = '${ML_MODEL}'` })}` },
  [`POST ${MLFLOW}/registered-models/get-latest-versions`]: {
    path: `${MLFLOW}/registered-models/get-latest-versions`,
    body: { name: ML_MODEL },
  },
  [`GET ${MLFLOW}/registered-models/get-latest-versions`]: {
    path: `${MLFLOW}/registered-models/get-latest-versions${mlQuery({ name: ML_MODEL })}`,
  },
  [`POST ${MLFLOW}/registered-models/set-tag`]: {
    path: `${MLFLOW}/registered-models/set-tag`,
    body: { name: ML_MODEL, key: "k", value: "v" },
  },
  [`DELETE ${MLFLOW}/registered-models/delete-tag`]: { path: `${MLFLOW}/registered-models/delete-tag`, body: { name: ML_MODEL, key: "k" } },
  [`POST ${MLFLOW}/registered-models/alias`]: { path: `${MLFLOW}/registered-models/alias`, body: { ...mlVersion, alias: "champion" } },
  [`DELETE ${MLFLOW}/registered-models/alias`]: { path: `${MLFLOW}/registered-models/alias`, body: { name: ML_MODEL, alias: "champion" } },
  [`GET ${MLFLOW}/registered-models/alias`]: { path: `${MLFLOW}/registered-models/alias${mlQuery({ name: ML_MODEL, alias: "champion" })}` },
  [`POST ${MLFLOW}/model-versions/create`]: {
    path: `${MLFLOW}/model-versions/create`,
    body: { name: ML_MODEL, source: "s3://bench/model" },
  },
  [`PATCH ${MLFLOW}/model-versions/update`]: { path: `${MLFLOW}/model-versions/update`, body: { ...mlVersion, description: "bench" } },
  [`POST ${MLFLOW}/model-versions/transition-stage`]: {
    path: `${MLFLOW}/model-versions/transition-stage`,
    body: { ...mlVersion, stage: "Staging", archive_existing_versions: false },
  },
  [`DELETE ${MLFLOW}/model-versions/delete`]: { path: `${MLFLOW}/model-versions/delete`, body: mlVersion },
  [`GET ${MLFLOW}/model-versions/get`]: { path: `${MLFLOW}/model-versions/get${mlQuery(mlVersion)}` },
  [`GET ${MLFLOW}/model-versions/search`]: { path: `${MLFLOW}/model-versions/search${mlQuery({ filter: `name = '${ML_MODEL}'` })}` },
  [`GET ${MLFLOW}/model-versions/get-download-uri`]: { path: `${MLFLOW}/model-versions/get-download-uri${mlQuery(mlVersion)}` },
  [`POST ${MLFLOW}/model-versions/set-tag`]: { path: `${MLFLOW}/model-versions/set-tag`, body: { ...mlVersion, key: "k", value: "v" } },
  [`DELETE ${MLFLOW}/model-versions/delete-tag`]: { path: `${MLFLOW}/model-versions/delete-tag`, body: { ...mlVersion, key: "k" } },
};

/** One request per route of the route table, in an order where most find what they ask for. */
const FIRST_REQUESTS: Record<string, { path: string; body?: unknown }> = {
  "GET /health": { path: "/health" },
  "GET /openapi.json": { path: "/openapi.json" },
  "POST /models": { path: "/models", body: { name: MODEL } },
  "GET /models": { path: "/models" },
  "GET /models/{name}": { path: `/models/${MODEL}` },
  "PATCH /models/{name}": { path: `/models/${MODEL}`, body: { description: "start-up bench" } },
  "DELETE /models/{name}": { path: `/models/${MODEL}_gone` },
  "POST /models/{name}/versions": { path: `/models/${MODEL}/versions`, body: { source: "s3://bench/model.tar.gz", metrics: { auc: 0.9 } } },
  "GET /models/{name}/versions": { path: `/models/${MODEL}/versions` },
  "GET /models/{name}/versions/{v}": { path: v1 },
  "PATCH /models/{name}/versions/{v}": { path: v1, body: { tags: { bench: "start" } } },
  "POST /models/{name}/versions/{v}/transitions": { path: `${v1}/transitions`, body: { to: "Staging" } },
  "GET /models/{name}/stages/{stage}": { path: `/models/${MODEL}/stages/Staging` },
  "GET /stages/{stage}/versions": { path: "/stages/Staging/versions" },
  "PUT /models/{name}/aliases/{alias}": { path: `/models/${MODEL}/aliases/champion`, body: { version: 1 } },
  "DELETE /models/{name}/aliases/{alias}": { path: `/models/${MODEL}/aliases/champion` },
  "PUT /models/{name}/policy": { path: `/models/${MODEL}/policy`, body: {} },
  "GET /models/{name}/policy": { path: `/models/${MODEL}/policy` },
  "GET /resolve": { path: `/resolve?uri=models:/${MODEL}/Staging` },
  "GET /models/{name}/history": { path: `/models/${MODEL}/history` },
  "GET /models/{name}/history/at": { path: `/models/${MODEL}/history/at?time=2030-01-01T00:00:00Z` },
  "GET /models/{name}/compare": { path: `/models/${MODEL}/compare?versions=1,1` },
  "GET /lineage/datasets/{id+}": { path: "/lineage/datasets/bench" },
  "POST /models/{name}/stages/{stage}/rollback": { path: `/models/${MODEL}/stages/Staging/rollback`, body: { reason: "bench" } },
  // The version has an external source: these answer the registry's refusal, through the whole handler.
  "POST /models/{name}/versions/{v}/artifact/upload": { path: `${v1}/artifact/upload`, body: {} },
  "POST /models/{name}/versions/{v}/artifact/parts": { path: `${v1}/artifact/parts`, body: { parts: [{ partNumber: 1 }] } },
  "GET /models/{name}/versions/{v}/artifact/uploads": { path: `${v1}/artifact/uploads` },
  "POST /models/{name}/versions/{v}/artifact/complete": { path: `${v1}/artifact/complete` },
  "GET /models/{name}/versions/{v}/artifact": { path: `${v1}/artifact` },
  "GET /models/{name}/versions/{v}/artifact/files/{path+}": { path: `${v1}/artifact/files/model.bin` },
  "POST /models/{name}/versions/{v}/approvals": { path: `${v1}/approvals`, body: { stage: "Production", decision: "approve" } },
  "GET /models/{name}/versions/{v}/approvals": { path: `${v1}/approvals` },
  "PUT /models/{name}/retention": { path: `/models/${MODEL}/retention`, body: {} },
  "GET /models/{name}/retention": { path: `/models/${MODEL}/retention` },
  "GET /models/{name}/retention/preview": { path: `/models/${MODEL}/retention/preview` },
  "PUT /models/{name}/versions/{v}/protection": { path: `${v1}/protection`, body: { protected: false } },
  "DELETE /models/{name}/versions/{v}": { path: v1 },
  ...MLFLOW_FIRST_REQUESTS,
};

export interface StartFigure {
  /** From spawning the command to the first answered `GET /health`, median of the rounds. */
  readonly readyMs: number;
  /** Per route, its first request after the start, median of the rounds. */
  readonly firstRequestMs: ReadonlyMap<string, number>;
}

export interface StartFigures {
  readonly rounds: number;
  /** `npm start`'s command: its launcher, with the bundle already built. */
  readonly launcher: StartFigure;
  /** start.ts through tsx: every module compiled on first use. */
  readonly tsx: StartFigure;
  /** A bare Node process that listens and answers one request: the floor. */
  readonly bareNodeMs: number;
}

const BARE_NODE = `require("node:http").createServer((_, response) => response.end("ok")).listen(Number(process.env.PORT), "127.0.0.1")`;
const COMMANDS = {
  launcher: ["infra/local/launch.mjs"],
  tsx: ["--import", "tsx", "infra/local/start.ts"],
  bare: ["-e", BARE_NODE],
} as const;

interface Started {
  readonly url: string;
  readonly readyMs: number;
  stop(): Promise<void>;
}

/** Spawns `node <args>` on a free port and a fresh data directory; resolves at its first answered request. */
async function startTimed(args: readonly string[]): Promise<Started> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "registry-bench-start-"));
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(port), REGISTRY_DATA_DIR: dataDir },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  // What a start that fails says about why, for the benchmark's error.
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-(child.pid as number), "SIGTERM");
    } catch (error) {
      // ESRCH: the whole group is gone already (a start that failed).
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = started + 60_000;
  for (;;) {
    const answered = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return { url, readyMs: performance.now() - started, stop };
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop();
      const why = child.exitCode === null ? "did not answer within 60 s" : `exited with code ${child.exitCode} before answering`;
      throw new Error(`node ${args.join(" ")} ${why}:\n${stderr}`);
    }
    await new Promise((resolveLater) => setTimeout(resolveLater, 10));
  }
}

/** The first request of every route, in turn; a 5xx fails the benchmark. */
async function firstRequests(url: string): Promise<Map<string, number>> {
  const timings = new Map<string, number>();
  for (const route of routes) {
    const key = routeKey(route);
    const request = FIRST_REQUESTS[key];
    if (!request) throw new Error(`bench/start.ts has no first request for ${key}: add one.`);
    const started = performance.now();
    const response = await fetch(`${url}${request.path}`, {
      method: route.method,
      headers: request.body === undefined ? {} : { "content-type": "application/json" },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
    const body = await response.text();
    timings.set(key, performance.now() - started);
    if (response.status >= 500) throw new Error(`${key} answered ${response.status}: ${body}`);
  }
  return timings;
}

async function registryRound(args: readonly string[]): Promise<{ readyMs: number; firstRequestMs: Map<string, number> }> {
  const registry = await startTimed(args);
  try {
    return { readyMs: registry.readyMs, firstRequestMs: await firstRequests(registry.url) };
  } finally {
    await registry.stop();
  }
}

function medians(rounds: readonly { readyMs: number; firstRequestMs: Map<string, number> }[]): StartFigure {
  const firstRequestMs = new Map(
    routes.map((route) => routeKey(route)).map((key) => [key, median(rounds.map((round) => round.firstRequestMs.get(key) as number))]),
  );
  return { readyMs: median(rounds.map((round) => round.readyMs)), firstRequestMs };
}

/**
 * `npm start` from spawn to its first answered request, and then the first request of each route,
 * against start.ts run through tsx and a bare Node process, interleaved. One start of each first,
 * not counted, so that the launcher's bundle and tsx's compile cache are built as after any edit.
 */
export async function benchStart(): Promise<StartFigures> {
  await (await startTimed(COMMANDS.launcher)).stop();
  await (await startTimed(COMMANDS.tsx)).stop();
  const launcher = [];
  const tsx = [];
  const bare = [];
  for (let round = 0; round < ROUNDS; round++) {
    launcher.push(await registryRound(COMMANDS.launcher));
    tsx.push(await registryRound(COMMANDS.tsx));
    const node = await startTimed(COMMANDS.bare);
    bare.push(node.readyMs);
    await node.stop();
  }
  return { rounds: ROUNDS, launcher: medians(launcher), tsx: medians(tsx), bareNodeMs: median(bare) };
}
