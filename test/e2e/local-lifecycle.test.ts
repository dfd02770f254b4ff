import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../infra/local/engines";
import {
  LAUNCHER,
  launchNpmStart,
  listeningSockets,
  processesOfGroup,
  startNpmStart,
  type NpmStartProcess,
  type RunningProcess,
} from "../support/npm-start";

/**
 * `npm start`'s lifecycle (docs/local.md, "Starting and stopping"), asserted on the processes of
 * its process group (/proc) and the sockets they listen on (`ss`): whichever process of the tree
 * gets the stop signal, nothing of it is left afterwards, DynamoDB Local's Java included.
 */

const SLOW = 120_000;
const launched: NpmStartProcess[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(launched.map((process) => process.killHard()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "registry-lifecycle-"));
  tempDirs.push(dir);
  return dir;
}

function probe(port: number): Promise<"accepted" | "refused"> {
  return new Promise((resolveProbe, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolveProbe("accepted");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNREFUSED" ? resolveProbe("refused") : reject(error)));
  });
}

/** Reads until `holds` or the deadline; answers the last reading. */
async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean, withinMs = 15_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (holds(value) || Date.now() > deadline) return value;
    await new Promise((resolveLater) => setTimeout(resolveLater, 100));
  }
}

/** The tree's processes and the TCP ports they listen on. */
async function treeOf(
  server: NpmStartProcess,
): Promise<{ processes: RunningProcess[]; sockets: Awaited<ReturnType<typeof listeningSockets>> }> {
  const processes = await processesOfGroup(server.child.pid as number);
  const pids = new Set(processes.map((p) => p.pid));
  const sockets = (await listeningSockets()).filter((socket) => socket.pids.some((pid) => pids.has(pid)));
  return { processes, sockets };
}

const javaOf = (processes: RunningProcess[]) =>
  processes.find((p) => /^\S*java .*(LoopbackDynamoDbLocal|DynamoDBLocal\.jar)/.test(p.command));
/** The node process running the registry: the one that started Java's watchdog (sh). */
const registryOf = (processes: RunningProcess[]) => {
  const watchdog = processes.find((p) => p.pid === javaOf(processes)?.ppid);
  return processes.find((p) => p.pid === watchdog?.ppid && p.command.includes(LAUNCHER));
};

async function expectNothingLeft(server: NpmStartProcess, ports: readonly number[]): Promise<void> {
  expect(
    await eventually(
      () => processesOfGroup(server.child.pid as number),
      (left) => left.length === 0,
    ),
    server.output(),
  ).toEqual([]);
  expect((await listeningSockets()).filter((socket) => ports.includes(socket.port))).toEqual([]);
}

describe("npm start's lifecycle", () => {
  it(
    "refuses connections until the engines are ready, then answers /health 200 without a token; listens on 127.0.0.1 only, Java included; SIGINT to the group leaves nothing",
    async () => {
      const dataDir = await tempDir();
      const tokensFile = join(dataDir, "tokens.json");
      await writeFile(tokensFile, JSON.stringify({ tokens: { "alice-secret": { principal: "local:alice", roles: ["reader"] } } }));
      const port = await freePort();
      const server = launchNpmStart({ PORT: String(port), REGISTRY_DATA_DIR: dataDir, REGISTRY_TOKENS_FILE: tokensFile }, { viaNpm: true });
      launched.push(server);

      const probes: string[] = [];
      let exited = false;
      void server.exited.then(() => (exited = true));
      while (probes.at(-1) !== "accepted" && !exited) probes.push(await probe(port));

      // Refused while starting, then the first accepted connection is already served.
      expect(probes.length, server.output()).toBeGreaterThan(1);
      expect(new Set(probes.slice(0, -1))).toEqual(new Set(["refused"]));
      expect(probes.at(-1)).toBe("accepted");
      const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      expect((await fetch(`http://127.0.0.1:${port}/models`)).status).toBe(401);
      expect(
        await eventually(
          async () => server.stdout(),
          (out) => /Ready in \d+\.\d s\./.test(out),
        ),
      ).toMatch(/Ready in \d+\.\d s\./);

      const { processes, sockets } = await treeOf(server);
      const java = javaOf(processes);
      expect(java, JSON.stringify(processes)).toBeDefined();
      // API, DynamoDB's commit barrier, Java, the S3 front, s3rver, the local bus.
      expect(sockets.length, JSON.stringify(sockets)).toBeGreaterThanOrEqual(6);
      // DynamoDB Local's Java included: its jar has no bind-address option, its loopback main binds it (docs/local.md).
      expect(sockets.filter((socket) => socket.pids.includes(java?.pid as number))).toHaveLength(1);
      expect(sockets.filter((socket) => socket.address !== "127.0.0.1")).toEqual([]);

      process.kill(-(server.child.pid as number), "SIGINT");
      expect(await server.exited, server.output()).toEqual({ code: 0, signal: null });
      expect(server.stdout().match(/stopping the API and the engines/g), server.output()).toHaveLength(1);
      expect(server.stderr()).not.toContain("again");
      await expectNothingLeft(
        server,
        sockets.map((socket) => socket.port),
      );
    },
    SLOW,
  );

  const stops: {
    what: string;
    viaNpm: boolean;
    signal: NodeJS.Signals;
    target: (server: NpmStartProcess, processes: RunningProcess[]) => number | undefined;
  }[] = [
    { what: "SIGTERM to the npm pid only", viaNpm: true, signal: "SIGTERM", target: (server) => server.child.pid },
    {
      what: "SIGTERM to the node pid only, without npm",
      viaNpm: false,
      signal: "SIGTERM",
      target: (_, processes) => registryOf(processes)?.pid,
    },
    {
      what: "SIGKILL to the node pid (Java's watchdog stops it)",
      viaNpm: true,
      signal: "SIGKILL",
      target: (_, processes) => registryOf(processes)?.pid,
    },
  ];
  it.each(stops)(
    "leaves no process of the tree and no listening port after $what",
    async ({ viaNpm, signal, target }) => {
      const server = await startNpmStart(await tempDir(), {}, { viaNpm });
      launched.push(server);
      const { processes, sockets } = await treeOf(server);
      const pid = target(server, processes);
      expect(javaOf(processes), JSON.stringify(processes)).toBeDefined();
      expect(pid, JSON.stringify(processes)).toBeDefined();

      process.kill(pid as number, signal);
      await server.exited;

      if (signal !== "SIGKILL") expect(server.stdout()).toContain(`${signal}: stopping the API and the engines`);
      await expectNothingLeft(
        server,
        sockets.map((socket) => socket.port),
      );
    },
    SLOW,
  );
});
