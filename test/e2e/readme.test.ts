import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";

/**
 * The docs' curl examples, run as written against npm start's registry. Each walk is one test on
 * its own model, so no test depends on another's state or order. A doc that continues another
 * (docs/lifecycle.md goes on from the README's Try it) runs that doc's examples first.
 */

const DOCUMENTED_URL = "http://127.0.0.1:3000";
const DOCUMENTED_MODEL = "fraud_detector";

interface Walk {
  readonly doc: string;
  /** Only the examples under this `## ` heading; the whole doc without one. */
  readonly section?: string;
  readonly after?: Walk;
}

const TRY_IT: Walk = { doc: "README.md", section: "Try it" };
const LIFECYCLE: Walk = { doc: "docs/lifecycle.md", after: TRY_IT };
/** Docs whose curl examples need more than this file gives them (files, jq), run by their own test. */
const RUN_ELSEWHERE: Record<string, string> = {
  "docs/artifacts.md": "test/e2e/artifact-upload.test.ts",
  "docs/mlflow.md": "test/e2e/mlflow-docs.test.ts",
};

/** The shell blocks that call the registry: what a reader copies into a terminal beside `npm start`. */
function curlBlocks(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  return blocks.filter((block) => block.includes("curl ") && block.includes(DOCUMENTED_URL));
}

async function ownExamples(walk: Walk): Promise<string[]> {
  const text = await readFile(walk.doc, "utf8");
  return curlBlocks(walk.section ? (text.split(`\n## ${walk.section}\n`)[1]?.split("\n## ")[0] ?? "") : text);
}

async function examples(walk: Walk): Promise<string[]> {
  return [...(walk.after ? await examples(walk.after) : []), ...(await ownExamples(walk))];
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

/** Runs each block in bash, in order, on `model` instead of the documented one. */
async function runBlocks(blocks: readonly string[], model: string): Promise<void> {
  for (const block of blocks) {
    const script = block.replaceAll(DOCUMENTED_URL, registry.url).replaceAll(DOCUMENTED_MODEL, model);
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script]);
    // A block that documents an error shows it as a comment, and gets that error only; every other block must succeed.
    const expectedError = /^# \{"error":\{"code":"(\w+)"/m.exec(block)?.[1];
    const errors = [...stdout.matchAll(/"error":\{"code":"(\w+)"/g)].map((match) => match[1]);
    expect(errors, script).toEqual(expectedError ? [expectedError] : []);
    if (!expectedError) expect(stdout, script).not.toContain('"error"');
  }
}

async function getJson(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${registry.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("the docs' examples", () => {
  it("run the README's Try it as written, registering version 1 with the label and metadata it promises", async () => {
    const blocks = await examples(TRY_IT);
    expect(blocks.length).toBeGreaterThanOrEqual(4);

    await runBlocks(blocks, DOCUMENTED_MODEL);

    const version = await getJson(`/models/${DOCUMENTED_MODEL}/versions/v0.1.0`);
    expect(version).toMatchObject({
      version: 1,
      semver: "0.1.0",
      status: "READY",
      tags: { owner: "ml-risk", reviewed: "yes" },
      metrics: { auc: 0.982 },
    });
    expect(version.createdBy).toBe(registry.actor);
  }, 120_000);

  it("run docs/lifecycle.md after the Try it: the rollback restores version 1 and the retried registration counts once", async () => {
    const model = "fraud_detector-lifecycle";
    const blocks = await examples(LIFECYCLE);
    expect(blocks.length).toBeGreaterThan((await examples(TRY_IT)).length);

    await runBlocks(blocks, model);

    expect(await getJson(`/models/${model}/stages/Production`)).toMatchObject({ version: 1 });
    expect(await getJson(`/models/${model}`)).toMatchObject({ latestVersion: 4 });
  }, 180_000);

  it("leave no doc's curl example unrun", async () => {
    const docs = ["README.md", ...(await readdir("docs")).filter((file) => file.endsWith(".md")).map((file) => `docs/${file}`)];
    const run = new Set((await Promise.all([TRY_IT, LIFECYCLE].map(ownExamples))).flat());

    const unrun: string[] = [];
    for (const doc of docs) {
      if (doc in RUN_ELSEWHERE) continue;
      unrun.push(
        ...curlBlocks(await readFile(doc, "utf8"))
          .filter((block) => !run.has(block))
          .map((block) => `${doc}: ${block}`),
      );
    }

    expect(unrun).toEqual([]);
    expect(Object.keys(RUN_ELSEWHERE).every((doc) => docs.includes(doc))).toBe(true);
  });
});
