import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

/** `npm run build:cli`'s build (dist/registry.mjs and its chunks), run by the `registry` bin where no dependency is installed, as in a CI job. */

const repoRoot = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-bundle-"));
  await mkdir(join(dir, "client"));
  await copyFile(join(repoRoot, "client/registry.mjs"), join(dir, "client/registry.mjs"));
  await run(join(repoRoot, "node_modules/.bin/tsx"), ["client/build.ts", join(dir, "dist/registry.mjs")], { cwd: repoRoot });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function registry(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_REGION: "us-east-1",
  };
  try {
    return { code: 0, ...(await run(process.execPath, [join(dir, "client/registry.mjs"), ...argv], { cwd: dir, env })) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("the bundled CLI", () => {
  it("runs without node_modules: --version, --help, and a signed request that finds no registry", async () => {
    const version = await registry("--version");
    const help = await registry("push", "--help");
    const unreachable = await registry("--url", "http://127.0.0.1:9", "--auth", "sigv4", "models", "list");

    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(help.stdout).toContain("Example:\n  $ registry push");
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^error: No answer from the registry at http:\/\/127\.0\.0\.1:9\/ after 5 attempts/);
    expect(unreachable.stderr).toContain("hint: Is a registry running at http://127.0.0.1:9/?");
  }, 60_000);
});
