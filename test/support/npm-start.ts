import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { freePort } from "../../infra/local/engines";

const repoRoot = resolve(import.meta.dirname, "../..");
const tsx = join(repoRoot, "node_modules/.bin/tsx");

/** `npm start` as a child process in its own process group (tsx, node, Java, all reachable at once). */
export interface NpmStart {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** kill -9 of the whole group, as a crash or a power cut of the machine's processes would; resolves once tsx is gone. */
  killHard(): Promise<void>;
}

/** Starts `npm start` on `dataDir` and a free port; resolves once it prints its URL. */
export async function startNpmStart(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<NpmStart> {
  const port = await freePort();
  const child = spawn(tsx, ["infra/local/start.ts"], { cwd: repoRoot, env: { ...process.env, ...env, PORT: String(port), REGISTRY_DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let text = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<NonNullable<typeof exit>>((resolveExit) => child.once("exit", (code, signal) => resolveExit((exit = { code, signal }))));
  const killHard = async () => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /Model registry API: (http:\/\/\S+)/.exec(text)?.[1];
    if (url) return { url, child, exited, output: () => text, killHard };
    if (exit) throw new Error(`npm start exited (${JSON.stringify(exit)}) before printing its URL:\n${text}`);
    if (Date.now() > deadline) {
      await killHard();
      throw new Error(`npm start printed no URL within 60 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
