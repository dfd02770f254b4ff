import { describe, expect, it } from "vitest";
import { compareMetadata } from "../../shared/domain/compare";
import { versionMetadata } from "../../shared/schemas/version";

const version = (fields: Record<string, unknown>) => versionMetadata.parse(fields);

describe("comparing two versions' metadata", () => {
  it("gives each shared metric's delta b − a and its percentage of |a|, without float noise", () => {
    const a = version({ metrics: { auc: 0.975, loss: -0.5, recall: 0.8 } });
    const b = version({ metrics: { auc: 0.982, loss: -0.25, recall: 0.8 } });

    const { metrics } = compareMetadata(a, b);

    expect(metrics).toEqual({
      auc: { a: 0.975, b: 0.982, delta: 0.007, deltaPercent: 0.717948717949 },
      loss: { a: -0.5, b: -0.25, delta: 0.25, deltaPercent: 50 },
      recall: { a: 0.8, b: 0.8, delta: 0, deltaPercent: 0 },
    });
  });

  it("answers deltaPercent null when a is 0, and lists metrics only one side reports apart", () => {
    const a = version({ metrics: { drift: 0, f1: 0.7 } });
    const b = version({ metrics: { drift: 0.1, precision: 0.9 } });

    const comparison = compareMetadata(a, b);

    expect(comparison.metrics).toEqual({ drift: { a: 0, b: 0.1, delta: 0.1, deltaPercent: null } });
    expect(comparison.metricsOnlyIn).toEqual({ a: { f1: 0.7 }, b: { precision: 0.9 } });
  });

  it("sorts params and dependencies into changed, added and removed, and features into added and removed", () => {
    const a = version({
      params: { max_depth: 6, lr: 0.1, objective: "binary" },
      features: ["amount", "hour"],
      dependencies: { xgboost: "1.7.0", pandas: "1.4.0" },
    });
    const b = version({
      params: { max_depth: 8, lr: 0.1, early_stopping: true },
      features: ["amount", "merchant"],
      dependencies: { xgboost: "2.0.0", pandas: "1.4.0" },
    });

    const comparison = compareMetadata(a, b);

    expect(comparison.params).toEqual({
      changed: { max_depth: { a: 6, b: 8 } },
      added: { early_stopping: true },
      removed: { objective: "binary" },
    });
    expect(comparison.features).toEqual({ added: ["merchant"], removed: ["hour"] });
    expect(comparison.dependencies).toEqual({ changed: { xgboost: { a: "1.7.0", b: "2.0.0" } }, added: {}, removed: {} });
  });

  it("matches datasets by id and reports lineage fields that differ", () => {
    const a = version({
      lineage: {
        datasets: [{ id: "fraud_training", version: "v1.2" }, { id: "chargebacks" }],
        parentVersions: [1],
        codeCommit: "abc123",
        runId: "run-41",
      },
    });
    const b = version({
      lineage: {
        datasets: [{ id: "fraud_training", version: "v1.3" }, { id: "merchants" }],
        parentVersions: [1, 2],
        codeCommit: "def456",
        runId: "run-41",
      },
    });

    const { lineage } = compareMetadata(a, b);

    expect(lineage.datasets).toEqual({
      added: [{ id: "merchants" }],
      removed: [{ id: "chargebacks" }],
      changed: [{ id: "fraud_training", a: { id: "fraud_training", version: "v1.2" }, b: { id: "fraud_training", version: "v1.3" } }],
    });
    expect(lineage.parentVersions).toEqual({ added: [2], removed: [] });
    expect(lineage.changed).toEqual({ codeCommit: { a: "abc123", b: "def456" } });
  });

  it("finds nothing to report between a version and itself", () => {
    const a = version({
      metrics: { auc: 0.9 },
      params: { depth: 3 },
      features: ["x"],
      lineage: { datasets: [{ id: "d" }], codeCommit: "c" },
    });

    const comparison = compareMetadata(a, a);

    expect(comparison.params).toEqual({ changed: {}, added: {}, removed: {} });
    expect(comparison.features).toEqual({ added: [], removed: [] });
    expect(comparison.lineage).toEqual({
      datasets: { added: [], removed: [], changed: [] },
      parentVersions: { added: [], removed: [] },
      changed: {},
    });
  });
});
