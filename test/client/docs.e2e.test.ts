import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, readFile, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { useLocalRegistry } from "../support/local-registry";
import { useTempFiles } from "../support/temp-files";

/** docs/client.md's walkthrough, run as written in a bash shell with `registry` on the PATH, against a fresh local registry. */

const repoRoot = resolve(import.meta.dirname, "../..");
const registry = useLocalRegistry("registry-client-docs-");
/** The shell's PATH entry for `registry`, and the folder the walkthrough runs in. */
const scratch = useTempFiles("registry-client-docs-files-");

beforeAll(async () => {
  await mkdir(join(scratch.dir(), "bin"));
  await mkdir(join(scratch.dir(), "work"));
  await symlink(join(repoRoot, "client/registry.mjs"), join(scratch.dir(), "bin/registry"));
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
      cwd: join(scratch.dir(), "work"),
      env: { ...process.env, PATH: `${join(scratch.dir(), "bin")}:${process.env.PATH}`, REGISTRY_URL: registry.url.replace(/\/$/, "") },
      maxBuffer: 16 * 1024 * 1024,
    });

    expect(stdout).toMatch(/fraud_detector version 1 \(0\.1\.0\) READY/);
    expect(stdout).toContain("Staging → Production");
    expect(JSON.parse(await readFile(join(scratch.dir(), "work/again.json"), "utf8"))).toMatchObject({
      uploaded: false,
      version: { version: 2, status: "READY" },
    });
    expect(stdout).toMatch(/fraud_detector version 1 \(0\.1\.0\) READY {2}stage Production/);
    expect(stdout).toContain("pulled directory: OK");
    expect(await readFile(join(scratch.dir(), "work/tokenizer_only/config.json"), "utf8")).toBe('{"vocab_size": 30522}\n');
  }, 90_000);
});
