import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";

/**
 * docs/local.md's "SigV4: a credentials file", as a reader follows it: its credentials file, the
 * registry started with it, then the CLI commands of its second shell block, run as written
 * (`npx registry` in the checkout) with REGISTRY_URL naming the registry's port.
 */

const repoRoot = resolve(import.meta.dirname, "../..");
let registry: LocalRegistry;
let dir: string;

/** The section's blocks of `language`, in order. */
async function blocks(language: string): Promise<string[]> {
  const doc = await readFile(join(repoRoot, "docs/local.md"), "utf8");
  const section = doc.split("\n### SigV4: a credentials file\n")[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map((match) => match[1] ?? "");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-local-sigv4-docs-"));
  const [credentials] = await blocks("json");
  const credentialsFile = join(dir, "credentials.json");
  await writeFile(credentialsFile, credentials ?? "");
  registry = await startLocalRegistry({ port: 0, dataDir: join(dir, "data"), quiet: true, credentialsFile });
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("docs/local.md, SigV4: a credentials file", () => {
  it("starts npm start with the credentials file, then registers with the CI's key and stages with the release bot's", async () => {
    const [start, commands] = await blocks("sh");
    expect(start?.trim()).toBe("REGISTRY_CREDENTIALS_FILE=credentials.json npm start");
    const {
      AWS_PROFILE: _profile,
      AWS_SESSION_TOKEN: _token,
      AWS_ACCESS_KEY_ID: _key,
      AWS_SECRET_ACCESS_KEY: _secret,
      ...env
    } = process.env;

    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", commands ?? ""], {
      cwd: repoRoot,
      env: { ...env, REGISTRY_URL: registry.url },
    });

    expect(stdout).toMatch(/fraud_detector version 1 READY/);
    expect(stdout).toContain("fraud_detector version 1: None → Staging");
    expect(stdout).toMatch(/^fraud_detector {2}latest 1$/m);
  }, 90_000);
});
