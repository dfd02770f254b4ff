import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import packageJson from "../../package.json" with { type: "json" };
import { useLocalRegistry } from "../support/local-registry";
import { useTempFiles } from "../support/temp-files";

/**
 * docs/client.md's install step, run as written from the checkout with a fresh home directory, then
 * its walkthrough, run as written in a bash shell with the `registry` it installed on the PATH,
 * against a fresh local registry.
 */

const repoRoot = resolve(import.meta.dirname, "../..");
const registry = useLocalRegistry("registry-client-docs-");
/** The install's home directory, and the folder the walkthrough runs in. */
const scratch = useTempFiles("registry-client-docs-files-");
const home = () => join(scratch.dir(), "home");
const shellPath = () => `${join(home(), ".local/bin")}:${process.env.PATH}`;
let installed = "";

beforeAll(async () => {
  await mkdir(home());
  await mkdir(join(scratch.dir(), "work"));
  const install = await sectionBlock("Install and run", /mkdir -p ~\/\.local\/bin/);
  ({ stdout: installed } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", install], {
    cwd: repoRoot,
    env: { ...process.env, HOME: home(), PATH: shellPath() },
  }));
});

/** The first sh block of docs/client.md's section `title` (that matches `which`). */
async function sectionBlock(title: string, which = /./): Promise<string> {
  const doc = await readFile(join(repoRoot, "docs/client.md"), "utf8");
  const section = doc.split(`\n## ${title}\n`)[1]?.split("\n## ")[0] ?? "";
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "").find((text) => which.test(text));
  if (!block) throw new Error(`docs/client.md lost the example of its section ${title}`);
  return block;
}

describe("docs/client.md", () => {
  it("installs registry on the PATH, from the checkout, as Install and run says", () => {
    expect(installed.trim()).toBe(packageJson.version);
  });

  it("pushes, promotes and pulls as its walkthrough says", async () => {
    const script = await sectionBlock("Push, promote, pull");

    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
      cwd: join(scratch.dir(), "work"),
      env: { ...process.env, HOME: home(), PATH: shellPath(), REGISTRY_URL: registry.url.replace(/\/$/, "") },
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
