import { describe, expect, it } from "vitest";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useLocalRegistry } from "../support/local-registry";
import { mlflowClient, type MlflowCall } from "../support/mlflow-client";
import { waitFor } from "../support/webhook";

/**
 * The "Complete Example" MLflow users already run (a ModelRegistry class over MlflowClient), call
 * for call over HTTP against `npm start`, then what happened underneath: the native history holds
 * every move with its actor, and the bus announced each one.
 */

const PIPELINE = "local:ml-pipeline";
const registry = useLocalRegistry("registry-mlflow-example-", async (dataDir) => {
  const tokensFile = join(dataDir, "tokens.json");
  await writeFile(
    tokensFile,
    JSON.stringify({ tokens: { "pipeline-token": { principal: PIPELINE, roles: ["reader", "publisher", "promoter"] } } }),
  );
  return { tokensFile };
});
const client = mlflowClient(() => registry.url, "pipeline-token");

/** MlflowClient's calls raise on a non-200 answer, with the answer's error_code. */
async function call(...request: Parameters<MlflowCall>) {
  const answer = await client(...request);
  if (answer.status !== 200) throw Object.assign(new Error(answer.body.message), { errorCode: answer.body.error_code });
  return answer.body;
}

/** The example's ModelRegistry, translated line for line. */
const modelRegistry = {
  async registerNewModel(runId: string, modelName: string, description: string, tags: Record<string, string>): Promise<number> {
    try {
      await call("GET", "registered-models/get", { name: modelName });
    } catch (error) {
      expect((error as { errorCode: string }).errorCode).toBe("RESOURCE_DOES_NOT_EXIST");
      await call("POST", "registered-models/create", { name: modelName, description: `Production model for ${modelName}` });
    }
    const { model_version: mv } = await call("POST", "model-versions/create", {
      name: modelName,
      source: `runs:/${runId}/model`,
      run_id: runId,
      description,
    });
    for (const [key, value] of Object.entries(tags))
      await call("POST", "model-versions/set-tag", { name: modelName, version: mv.version, key, value });
    await call("POST", "model-versions/set-tag", {
      name: modelName,
      version: mv.version,
      key: "registered_at",
      value: new Date().toISOString(),
    });
    return Number(mv.version);
  },

  async promote(modelName: string, version: number, toStage: string, archiveExisting = false): Promise<[string, string]> {
    const { model_version: mv } = await call("GET", "model-versions/get", { name: modelName, version: String(version) });
    await call("POST", "model-versions/transition-stage", {
      name: modelName,
      version: String(version),
      stage: toStage,
      archive_existing_versions: archiveExisting,
    });
    const key = `transitioned_to_${toStage.toLowerCase()}_at`;
    await call("POST", "model-versions/set-tag", { name: modelName, version: String(version), key, value: new Date().toISOString() });
    return [mv.current_stage, toStage];
  },
};

interface HistoryEntry {
  action: string;
  actor: string;
  version?: number;
  fromStage?: string;
  toStage?: string;
  previousVersion?: number;
  eventId: string;
}

describe("seeds' Complete Example over the MLflow-compatible API", () => {
  it("registers, tags and promotes through Staging to Production; a second version promoted archives the first; history and events show every move", async () => {
    const tags = { team: "fraud", owner: "@meera", algorithm: "xgboost" };
    const version = await modelRegistry.registerNewModel("abc123", "fraud_detector", "Improved recall on account takeover fraud", tags);
    expect(version).toBe(1);
    expect(await modelRegistry.promote("fraud_detector", version, "Staging")).toEqual(["None", "Staging"]);
    expect(await modelRegistry.promote("fraud_detector", version, "Production", true)).toEqual(["Staging", "Production"]);

    const second = await modelRegistry.registerNewModel("def456", "fraud_detector", "Retrained on October data", tags);
    await modelRegistry.promote("fraud_detector", second, "Staging");
    await modelRegistry.promote("fraud_detector", second, "Production", true);

    const { registered_model: model } = await call("GET", "registered-models/get", { name: "fraud_detector" });
    expect(model.description).toBe("Production model for fraud_detector");
    expect(model.latest_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([
      ["2", "Production"],
      ["1", "Archived"],
    ]);
    const { model_version: first } = await call("GET", "model-versions/get", { name: "fraud_detector", version: "1" });
    expect(first.tags.map((t: { key: string }) => t.key)).toEqual(
      expect.arrayContaining([
        "team",
        "owner",
        "algorithm",
        "registered_at",
        "transitioned_to_staging_at",
        "transitioned_to_production_at",
      ]),
    );
    const resolved = await fetch(`${registry.url}/resolve?uri=${encodeURIComponent("models:/fraud_detector/Production")}`, {
      headers: { authorization: "Bearer pipeline-token" },
    });
    expect(await resolved.json()).toMatchObject({ version: 2, source: "runs:/def456/model", lineage: { runId: "def456" } });

    // Underneath: the native audit trail, oldest first, every move by the pipeline's principal.
    const history = await fetch(`${registry.url}/models/fraud_detector/history?limit=100`, {
      headers: { authorization: "Bearer pipeline-token" },
    });
    const entries = ((await history.json()) as { items: HistoryEntry[] }).items.reverse();
    expect(entries.every((entry) => entry.actor === PIPELINE)).toBe(true);
    const moves = entries.filter((entry) => entry.action === "STAGE_CHANGED");
    expect(moves.map(({ version, fromStage, toStage, previousVersion }) => ({ version, fromStage, toStage, previousVersion }))).toEqual([
      { version: 1, fromStage: "None", toStage: "Staging", previousVersion: undefined },
      { version: 1, fromStage: "Staging", toStage: "Production", previousVersion: undefined },
      { version: 2, fromStage: "None", toStage: "Staging", previousVersion: undefined },
      { version: 2, fromStage: "Staging", toStage: "Production", previousVersion: 1 },
      { version: 1, fromStage: "Production", toStage: "Archived", previousVersion: undefined },
    ]);
    expect(entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["MODEL_CREATED", "VERSION_REGISTERED", "VERSION_UPDATED"]),
    );

    // And on the bus: each move announced as a stage change.
    const eventsLog = join(registry.dataDir, "events.jsonl");
    const announced = async () =>
      (await readFile(eventsLog, "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { detail: { eventId: string } }).detail.eventId);
    const moveIds = moves.map((move) => move.eventId);
    const logged = await waitFor(announced, (ids) => moveIds.every((id) => ids.includes(id)), 20_000);
    expect(moveIds.filter((id) => !logged.includes(id))).toEqual([]);
  });
});
