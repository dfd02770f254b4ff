import { describe, expect, it } from "vitest";
import { PolicyViolationError, StageConflictError } from "../../shared/domain/errors";
import { mlflowError } from "../../shared/mlflow/errors";
import { downloadUriOf, toMlflowVersion } from "../../shared/mlflow/mapping";
import {
  assertModelOrderServed,
  assertRunOrderServed,
  modelSearch,
  modelVersionsOrder,
  parseFilter,
  versionSearch,
} from "../../shared/mlflow/search";
import type { VersionView } from "../../shared/schemas/version";

const artifactVersion: VersionView = {
  model: "fraud_detector",
  version: 7,
  semver: "1.4.0",
  status: "FAILED",
  stage: "None",
  artifact: {
    uri: "s3://model-registry-artifacts/artifacts/sha256/9f86",
    filename: "model.tar.gz",
    sizeBytes: 10,
    sha256: "9f86",
    contentType: "application/gzip",
    failureReason: "SHA-256 mismatch",
  },
  uri: "models:/fraud_detector/7",
  metrics: {},
  params: {},
  features: [],
  dependencies: {},
  lineage: { parentVersions: [], datasets: [], runId: "run-42" },
  tags: { team: "risk", "mlflow.run_link": "http://mlflow/runs/42" },
  createdBy: "arn:aws:iam::123456789012:role/ci",
  createdAt: "2024-01-15T10:30:00.000Z",
  updatedAt: "2024-01-15T10:31:00.000Z",
};

describe("the MLflow mapping", () => {
  it("maps a version: status names, the artifact's s3:// URI as source, run_link out of the tags, our metadata as read-only tags", () => {
    expect(toMlflowVersion(artifactVersion, { champion: 7, challenger: 6 })).toEqual({
      name: "fraud_detector",
      version: "7",
      creation_timestamp: Date.UTC(2024, 0, 15, 10, 30),
      last_updated_timestamp: Date.UTC(2024, 0, 15, 10, 31),
      user_id: "arn:aws:iam::123456789012:role/ci",
      current_stage: "None",
      source: "s3://model-registry-artifacts/artifacts/sha256/9f86",
      run_id: "run-42",
      status: "FAILED_REGISTRATION",
      status_message: "SHA-256 mismatch",
      tags: [
        { key: "team", value: "risk" },
        { key: "registry.uri", value: "models:/fraud_detector/7" },
        { key: "registry.semver", value: "1.4.0" },
        { key: "registry.artifact_sha256", value: "9f86" },
      ],
      run_link: "http://mlflow/runs/42",
      aliases: ["champion"],
    });
    expect(toMlflowVersion({ ...artifactVersion, status: "PENDING_UPLOAD" }, {}).status).toBe("PENDING_REGISTRATION");
    expect(downloadUriOf(artifactVersion)).toBe("s3://model-registry-artifacts/artifacts/sha256/9f86");
    expect(downloadUriOf({ ...artifactVersion, artifact: undefined, source: "runs:/42/model" })).toBe("runs:/42/model");
  });

  it("answers errors in MLflow's shape: a lost race is ABORTED (409), a gate refusal INVALID_STATE (400), anything unknown a bare INTERNAL_ERROR", () => {
    expect(mlflowError(new StageConflictError("fraud_detector", 3, 4), "req-1")).toEqual({
      status: 409,
      body: { error_code: "ABORTED", message: expect.stringContaining("version 4") },
    });
    const gate = new PolicyViolationError("fraud_detector", 3, "Production", [{ rule: "minMetrics.auc", message: "auc 0.8 < 0.9" }], 1);
    expect(mlflowError(gate, "req-1")).toEqual({
      status: 400,
      body: { error_code: "INVALID_STATE", message: expect.stringContaining("auc 0.8 < 0.9") },
    });
    expect(mlflowError(new Error("secret table name"), "req-1")).toEqual({
      status: 500,
      body: { error_code: "INTERNAL_ERROR", message: "Internal error. Quote request id req-1 when reporting it." },
    });
  });
});

describe("MLflow search filters", () => {
  it("reads clauses joined by AND, in any case, with quoted tag keys and escaped quotes", () => {
    expect(parseFilter(`name = 'fraud' and tags.\`my key\` = 'it''s' AND run_id="r1"`)).toEqual([
      { field: "name", op: "=", value: "fraud" },
      { field: "tags.my key", op: "=", value: "it's" },
      { field: "run_id", op: "=", value: "r1" },
    ]);
    expect(parseFilter(undefined)).toEqual([]);
    for (const bad of ["name = fraud", "name = 'a' OR name = 'b'", "name = 'a' AND", "metrics.auc > 0.9"])
      expect(() => parseFilter(bad), bad).toThrow(expect.objectContaining({ errorCode: "INVALID_PARAMETER_VALUE" }));
  });

  it("serves registered models by exact name or name prefix only", () => {
    expect(modelSearch(parseFilter("name LIKE 'fraud_%'"))).toEqual({ prefix: "fraud_" });
    expect(modelSearch(parseFilter("name ILIKE 'FRAUD%'"))).toEqual({ prefix: "fraud" });
    expect(modelSearch(parseFilter("name LIKE 'fraud_detector'"))).toEqual({ name: "fraud_detector" });
    expect(modelSearch([])).toEqual({ prefix: "" });
    for (const bad of ["name LIKE '%fraud'", "name != 'x'", "tags.team = 'risk'"])
      expect(() => modelSearch(parseFilter(bad)), bad).toThrow(expect.objectContaining({ errorCode: "INVALID_PARAMETER_VALUE" }));
  });

  it("serves model versions within one named model, or of one run across models, by equality", () => {
    expect(versionSearch(parseFilter("name='m' AND run_id='r' AND tags.team='risk'"))).toEqual({
      name: "m",
      runId: "r",
      tags: { team: "risk" },
    });
    expect(versionSearch(parseFilter("run_id = 'r'"))).toEqual({ runId: "r" });
    expect(() => versionSearch(parseFilter("tags.team = 'risk'"))).toThrow(/add name = '<model>' or run_id = '<run>'/);
    expect(() => versionSearch(parseFilter("run_id = 'r' AND tags.team = 'risk'"))).toThrow(/add name = '<model>' to filter/);
    for (const bad of ["name = 'm' AND run_id != 'r'", "name = 'm' AND source_path = 's3://x'"])
      expect(() => versionSearch(parseFilter(bad)), bad).toThrow(expect.objectContaining({ errorCode: "INVALID_PARAMETER_VALUE" }));
  });

  it("orders registered models by name only", () => {
    expect(() => assertModelOrderServed([])).not.toThrow();
    expect(() => assertModelOrderServed(["name", "name ASC"])).not.toThrow();
    expect(() => assertModelOrderServed(["last_updated_timestamp DESC"])).toThrow(
      "Cannot order registered models by last_updated_timestamp DESC: they come in name order. Write order_by=name ASC (the default); sort the page yourself for another order.",
    );
    expect(() => assertModelOrderServed(["name DESC"])).toThrow(expect.objectContaining({ errorCode: "INVALID_PARAMETER_VALUE" }));
  });

  it("orders a model's versions by version either way, newest first by default", () => {
    expect(modelVersionsOrder([])).toEqual({ oldestFirst: false });
    expect(modelVersionsOrder(["version_number DESC"])).toEqual({ oldestFirst: false });
    expect(modelVersionsOrder(["name ASC", "creation_timestamp DESC"])).toEqual({ oldestFirst: false });
    expect(modelVersionsOrder(["version_number"])).toEqual({ oldestFirst: true });
    expect(modelVersionsOrder(["version_number asc", "last_updated_timestamp DESC"])).toEqual({ oldestFirst: true });
    expect(() => modelVersionsOrder(["last_updated_timestamp DESC"])).toThrow(
      "Cannot order a model's versions by last_updated_timestamp DESC: they come in version order. Write order_by=version_number DESC (newest first, the default) or version_number ASC (oldest first); sort the page yourself for another order.",
    );
    expect(() => modelVersionsOrder(["version_number DESC; DROP"])).toThrow(/cannot read the order_by clause/);
  });

  it("orders a run's versions by model name, then version, ascending only", () => {
    expect(() => assertRunOrderServed([])).not.toThrow();
    expect(() => assertRunOrderServed(["name ASC", "version_number ASC"])).not.toThrow();
    for (const bad of [["version_number ASC"], ["name DESC"], ["name ASC", "version_number DESC"], ["last_updated_timestamp DESC"]])
      expect(() => assertRunOrderServed(bad), bad.join()).toThrow(
        /Write order_by=name ASC \(the default\) or name ASC, version_number ASC/,
      );
  });
});
