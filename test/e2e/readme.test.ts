import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";

const README_URL = "http://127.0.0.1:3000";

/** The shell blocks of the README's "Try it" section, in order: the commands a newcomer copies. */
async function tryItExamples(): Promise<string[]> {
  const readme = await readFile("README.md", "utf8");
  const section = readme.split("\n## Try it\n")[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
}

let registry: LocalRegistry;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-readme-"));
  registry = await startLocalRegistry({ port: 0, dataDir, quiet: true });
});
afterAll(async () => {
  await registry?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the README's examples", () => {
  it("run as written against npm start's registry", async () => {
    const examples = await tryItExamples();
    expect(examples.length).toBeGreaterThanOrEqual(4);

    for (const example of examples) {
      const script = example.replaceAll(README_URL, registry.url);
      const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script]);
      // A block that documents an error shows it as a comment; every other block must succeed.
      const expectedError = /^# \{"error":\{"code":"(\w+)"/m.exec(example)?.[1];
      if (expectedError) expect(stdout).toContain(`"code":"${expectedError}"`);
      else expect(stdout, script).not.toContain('"error"');
    }
  });

  it("register version 1 with the label and metadata the README promises", async () => {
    const response = await fetch(`${registry.url}/models/fraud_detector/versions/v0.1.0`);
    const version = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(version).toMatchObject({ version: 1, semver: "0.1.0", status: "READY", tags: { owner: "ml-risk", reviewed: "yes" }, metrics: { auc: 0.982 } });
    expect(version.createdBy).toBe(registry.actor);
  });
});
