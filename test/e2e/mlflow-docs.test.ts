import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { useLocalRegistry } from "../support/local-registry";

/** docs/mlflow.md's curl examples, run as written against npm start's registry, in order. */

const DOCUMENTED_URL = "http://127.0.0.1:3000";
const registry = useLocalRegistry("registry-mlflow-docs-");

async function curlBlocks(): Promise<string[]> {
  const markdown = await readFile("docs/mlflow.md", "utf8");
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "").filter((block) => block.includes(`curl -sS`));
}

describe("docs/mlflow.md's examples", () => {
  it("run as written: each block answers without an error, but the one that documents its error", async () => {
    const blocks = await curlBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2);

    for (const block of blocks) {
      const script = block.replaceAll(DOCUMENTED_URL, registry.url);
      const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script]);
      const documented = /^# \{"error_code":"(\w+)"/m.exec(block)?.[1];
      const answered = [...stdout.matchAll(/"error_code":"(\w+)"/g)].map((match) => match[1]);
      expect(answered, script).toEqual(documented ? [documented] : []);
    }

    const latest = await fetch(`${registry.url}/api/2.0/mlflow/registered-models/get-latest-versions?name=fraud_detector`);
    expect(await latest.json()).toEqual({
      model_versions: [
        expect.objectContaining({ version: "1", current_stage: "Production", tags: [expect.objectContaining({ key: "registry.uri" })] }),
      ],
    });
  });
});
