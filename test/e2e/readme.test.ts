import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";
import {
  APPROVALS,
  DOCUMENTED_MODEL,
  LIFECYCLE,
  SEVERAL_PEOPLE,
  TRY_IT,
  curlBlocks,
  examples,
  getJson,
  ownExamples,
  runBlocks,
} from "../support/doc-examples";

// The docs' curl examples (test/support/doc-examples.ts), run as written against npm start's registry.
// The README's "Acting as several people locally" and docs/lifecycle.md's "Approvals" need a tokens file:
// test/e2e/local-identities.test.ts runs them.

/** Docs whose curl examples need more than this file gives them (files, jq), run by their own test. */
const RUN_ELSEWHERE: Record<string, string> = {
  "docs/artifacts.md": "test/e2e/artifact-upload.test.ts",
  "docs/mlflow.md": "test/e2e/mlflow-docs.test.ts",
};

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

describe("the docs' examples", () => {
  it("run the README's Try it as written, registering version 1 with the label and metadata it promises", async () => {
    const blocks = await examples(TRY_IT);
    expect(blocks.length).toBeGreaterThanOrEqual(4);

    await runBlocks(blocks, registry.url, DOCUMENTED_MODEL);

    const version = await getJson(registry.url, `/models/${DOCUMENTED_MODEL}/versions/v0.1.0`);
    expect(version).toMatchObject({
      version: 1,
      semver: "0.1.0",
      status: "READY",
      tags: { owner: "ml-risk", reviewed: "yes" },
      metrics: { auc: 0.982 },
    });
    expect(version.createdBy).toBe(registry.actor);
    expect(await getJson(registry.url, `/models/${DOCUMENTED_MODEL}`)).toMatchObject({
      keyMetrics: [{ name: "auc", direction: "max", indexedFrom: 1 }],
    });
    const best = await getJson(registry.url, `/models/${DOCUMENTED_MODEL}/versions?sort=-metric.auc&minMetric.auc=0.95&limit=10`);
    expect(best).toMatchObject({ items: [{ version: 1, metrics: { auc: 0.982 } }] });
  }, 120_000);

  it("run docs/lifecycle.md after the Try it: the rollback restores version 1 and the retried registration counts once", async () => {
    const model = "fraud_detector-lifecycle";
    const blocks = await examples(LIFECYCLE);
    expect(blocks.length).toBeGreaterThan((await examples(TRY_IT)).length);

    await runBlocks(blocks, registry.url, model);

    expect(await getJson(registry.url, `/models/${model}/stages/Production`)).toMatchObject({ version: 1 });
    expect(await getJson(registry.url, `/models/${model}`)).toMatchObject({ latestVersion: 4 });
    expect(await getJson(registry.url, `/models/${model}_shadow/history?limit=1`)).toMatchObject({ items: [{ action: "MODEL_DELETED" }] });
    expect(await getJson(registry.url, `/models/${model}/retention`)).toMatchObject({ keepArchived: 5, abandonedUploadsAfterHours: 48 });
    expect(await getJson(registry.url, `/models/${model}/versions/1`)).toMatchObject({ protected: true });
  }, 180_000);

  it("leave no doc's curl example unrun", async () => {
    const docs = ["README.md", ...(await readdir("docs")).filter((file) => file.endsWith(".md")).map((file) => `docs/${file}`)];
    const run = new Set((await Promise.all([TRY_IT, LIFECYCLE, SEVERAL_PEOPLE, APPROVALS].map(ownExamples))).flat());

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
