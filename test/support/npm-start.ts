import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";

const repoRoot = resolve(import.meta.dirname, "../..");
/** What `npm start` runs (package.json). */
export const LAUNCHER = "infra/local/launch.mjs";

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** `npm start` as a child process in its own process group (node, Java, all reachable at once). */
export interface NpmStartProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  /** Both streams, for failure messages. */
  output(): string;
  /** kill -9 of the whole group, as a crash or a power cut of the machine's processes would; resolves once the child is gone. */
  killHard(): Promise<void>;
}

/** A running `npm start`, once it has printed where its API and engines listen. */
export interface NpmStart extends NpmStartProcess {
  readonly url: string;
  readonly dynamodbPort: number;
  readonly s3Port: number;
}

/**
 * Runs `npm start` with `env` over this process's environment: by default its command, `node
 * infra/local/launch.mjs`, without npm; `viaNpm` runs `npm start` itself; `cwd`, another checkout than this one.
 */
export function launchNpmStart(env: NodeJS.ProcessEnv, { viaNpm = false, cwd = repoRoot } = {}): NpmStartProcess {
  const [command, args] = viaNpm ? ["npm", ["start"]] : [process.execPath, [LAUNCHER]];
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolveExit) => child.once("exit", (code, signal) => resolveExit({ code, signal })));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`,
    async killHard() {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

/**
 * Starts `npm start` on `dataDir` and PORT=0, the port the kernel gives its listen: a port
 * picked beforehand could be taken by another process before the launcher binds it. Resolves
 * once it prints its URL and its engines' ports.
 */
export async function startNpmStart(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
  launch: { viaNpm?: boolean; cwd?: string } = {},
): Promise<NpmStart> {
  const launched = launchNpmStart({ ...env, PORT: "0", REGISTRY_DATA_DIR: dataDir }, launch);
  let exit: Exit | undefined;
  void launched.exited.then((e) => (exit = e));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /Model registry API: (http:\/\/\S+)/.exec(launched.stdout())?.[1];
    const engines = /engines: dynamodb http:\/\/127\.0\.0\.1:(\d+), s3 http:\/\/127\.0\.0\.1:(\d+)/.exec(launched.stdout());
    if (url && engines) return { ...launched, url, dynamodbPort: Number(engines[1]), s3Port: Number(engines[2]) };
    if (exit) throw new Error(`npm start exited (${JSON.stringify(exit)}) before printing its URL:\n${launched.output()}`);
    if (Date.now() > deadline) {
      await launched.killHard();
      throw new Error(`npm start printed no URL within 60 s:\n${launched.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunningProcess {
  readonly pid: number;
  readonly ppid: number;
  /** The command line, arguments joined by spaces. */
  readonly command: string;
}

/** The live processes of process group `pgid` (a launched `npm start`'s group is its child's pid), read from /proc; zombies are gone already. */
export async function processesOfGroup(pgid: number): Promise<RunningProcess[]> {
  const found: RunningProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined);
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ")".
    const [state, ppid, group] = stat?.slice(stat.lastIndexOf(")") + 2).split(" ") ?? [];
    if (Number(group) !== pgid || state === "Z") continue;
    const command = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0").join(" ").trim();
    found.push({ pid: Number(entry), ppid: Number(ppid), command });
  }
  return found;
}

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly pids: readonly number[];
}

/** Every listening TCP socket of this machine's network namespace, with the pids holding it (`ss -ltnp`). */
export async function listeningSockets(): Promise<ListeningSocket[]> {
  const { stdout } = await promisify(execFile)("ss", ["-ltnpH"]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const local = line.trim().split(/\s+/)[3] as string;
      const at = local.lastIndexOf(":");
      return {
        address: local.slice(0, at).replace(/^\[|\]$/g, ""),
        port: Number(local.slice(at + 1)),
        pids: [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])),
      };
    });
}
