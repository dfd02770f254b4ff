import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * Every npm script a reader is told to run answers `--help` with its usage and does nothing else
 * (`npm start` started a registry on port 3000, `npm run bench` ran for minutes), and refuses what
 * it does not take with that usage instead of a stack trace.
 */

const repoRoot = resolve(import.meta.dirname, "../..");
const SCRIPTS: [string, string[], string][] = [
  ["npm start", ["infra/local/launch.mjs"], "REGISTRY_DATA_DIR"],
  ["npm run redeliver", ["--import", "tsx", "infra/local/redeliver.ts"], "--endpoint <local bus URL>"],
  ["npm run smoke", ["--import", "tsx", "client/smoke.ts"], "--url <api url>"],
  ["npm run bench", ["--import", "tsx", "bench/run.ts"], "docs/operations.md"],
];

async function run(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

// One after another: eight TypeScript starts at once on a busy 2-core machine outlast a test's time.
describe("the npm scripts' usage", () => {
  it.each(SCRIPTS)("%s -- --help prints its usage on stdout and exits 0", async (_script, args, names) => {
    const help = await run([...args, "--help"]);

    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/^usage: /);
    expect(help.stdout).toContain(names);
  });

  it.each(SCRIPTS)("%s refuses an argument it does not take, with its usage and no stack trace", async (_script, args, names) => {
    const refused = await run([...args, "--port", "4000"]);

    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--port");
    expect(refused.stderr).toContain(names);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });
});
