import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";

/** docs/client.md's walkthrough, run as written in a bash shell with `registry` on the PATH, against a fresh local registry. */

const repoRoot = resolve(import.meta.dirname, "../..");
let registry: LocalRegistry;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-client-docs-"));
  registry = await startLocalRegistry({ port: 0, dataDir: join(dir, "data"), quiet: true });
  await mkdir(join(dir, "bin"));
  await mkdir(join(dir, "work"));
  await symlink(join(repoRoot, "client/registry.mjs"), join(dir, "bin/registry"));
});
afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function walkthrough(): Promise<string> {
  const doc = await readFile(join(repoRoot, "docs/client.md"), "utf8");
  const section = doc.split("\n## Push, promote, pull\n")[1]?.split("\n## ")[0] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("docs/client.md lost its walkthrough");
  return block;
}

describe("docs/client.md", () => {
  it("pushes, promotes and pulls as its walkthrough says", async () => {
    const script = await walkthrough();

    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
      cwd: join(dir, "work"),
      env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, REGISTRY_URL: registry.url.replace(/\/$/, "") },
      maxBuffer: 16 * 1024 * 1024,
    });

    expect(stdout).toMatch(/fraud_detector version 1 \(0\.1\.0\) READY/);
    expect(stdout).toContain("Staging → Production");
    expect(JSON.parse(await readFile(join(dir, "work/again.json"), "utf8"))).toMatchObject({ uploaded: false, version: { version: 2, status: "READY" } });
    expect(stdout).toMatch(/fraud_detector version 1 \(0\.1\.0\) READY {2}stage Production/);
  }, 90_000);
});
