import { describe, expect, it } from "vitest";
import { HTTP_STATUS_BY_CODE } from "../../shared/http/error-mapper";
import { ALLOWED_MOVES, applyMoves, assertMoveAllowed, expectation, isMoveAllowed } from "../../shared/domain/lifecycle";
import { evaluateGate, type GateCandidate } from "../../shared/domain/policy";
import { parseModelUri } from "../../shared/domain/model-uri";
import { STAGES, versionSelector, type Stage } from "../../shared/schemas/version";
import { policyBody } from "../../shared/schemas/policy";
import { StageConflictError, TransitionNotAllowedError } from "../../shared/domain/errors";

/** docs/lifecycle.md's state diagram, written out once more by hand: the test's own copy of the state diagram. */
const ALLOWED: ReadonlyArray<[Stage, Stage]> = [
  ["None", "Staging"],
  ["None", "Archived"],
  ["Staging", "Archived"],
  ["Staging", "Production"],
  ["Production", "Archived"],
  ["Production", "Staging"],
  ["Archived", "Staging"],
];
const allPairs = STAGES.flatMap((from) => STAGES.map((to) => [from, to] as [Stage, Stage]));
const forbidden = allPairs.filter(([from, to]) => !ALLOWED.some(([f, t]) => f === from && t === to));

describe("the stage state machine", () => {
  it.each(ALLOWED)("allows %s → %s", (from, to) => {
    expect(isMoveAllowed(from, to)).toBe(true);
    expect(() => assertMoveAllowed("fraud_detector", 3, from, to)).not.toThrow();
  });

  it.each(forbidden)("refuses %s → %s with 409 TransitionNotAllowed naming the allowed moves", (from, to) => {
    const attempt = () => assertMoveAllowed("fraud_detector", 3, from, to);

    expect(attempt).toThrow(TransitionNotAllowedError);
    try {
      attempt();
    } catch (error) {
      const refusal = error as TransitionNotAllowedError;
      expect(refusal.code).toBe("TransitionNotAllowed");
      expect(HTTP_STATUS_BY_CODE[refusal.code]).toBe(409);
      expect(refusal.details).toEqual({ version: 3, from, to, allowed: ALLOWED_MOVES[from] });
      for (const allowed of ALLOWED_MOVES[from]) expect(refusal.message).toContain(allowed);
    }
  });

  it("holds exactly the diagram's moves in its table, no other", () => {
    const table = Object.entries(ALLOWED_MOVES).flatMap(([from, targets]) => targets.map((to) => [from, to]));

    expect(table).toHaveLength(ALLOWED.length);
    expect(table).toEqual(expect.arrayContaining([...ALLOWED]));
  });

  it("points an Archived → Production attempt at the rollback route", () => {
    expect(() => assertMoveAllowed("fraud_detector", 3, "Archived", "Production")).toThrow(/stages\/Production\/rollback/);
  });
});

describe("the model's stage map", () => {
  it("moves a promotion's version out of Staging and the previous occupant out of Production", () => {
    const after = applyMoves({ Production: 2, Staging: [3, 5] }, [
      { version: 3, from: "Staging", to: "Production" },
      { version: 2, from: "Production", to: "Archived" },
    ]);

    expect(after).toEqual({ Production: 3, Staging: [5] });
  });

  it("empties Production when its version is demoted, keeping Staging sorted", () => {
    expect(applyMoves({ Production: 7, Staging: [9] }, [{ version: 7, from: "Production", to: "Staging" }])).toEqual({ Staging: [7, 9] });
  });

  it("drops Staging when archiveExisting empties it", () => {
    const after = applyMoves({ Staging: [1, 2] }, [
      { version: 4, from: "None", to: "Staging" },
      { version: 1, from: "Staging", to: "Archived" },
      { version: 2, from: "Staging", to: "Archived" },
    ]);
    expect(after).toEqual({ Staging: [4] });
  });
});

describe("a compare-and-set expectation", () => {
  const conflict = (seen: number | null, actual: number | null) => new StageConflictError("m", seen, actual);

  it("pins what the first read saw when the caller names nothing, and refuses a later read that differs", () => {
    const check = expectation(undefined, conflict);

    expect(check(4)).toBe(4);
    expect(check(4)).toBe(4);
    expect(() => check(5)).toThrow(StageConflictError);
  });

  it("takes null as 'expected empty'", () => {
    const check = expectation(null, conflict);

    expect(check(null)).toBeNull();
    expect(() => check(1)).toThrow(expect.objectContaining({ details: { stage: "Production", expected: null, actual: 1 } }));
  });
});

describe("a promotion gate", () => {
  const candidate: GateCandidate = {
    from: "Staging",
    metrics: { auc: 0.91, latency_ms: 80 },
    tags: { team: "risk" },
    createdBy: "alice",
    approver: "alice",
  };
  const gate = policyBody.parse({
    Production: {
      minMetrics: { auc: 0.95, recall: 0.5 },
      maxMetrics: { latency_ms: 50 },
      requiredTags: { team: "risk", reviewed: "yes" },
      requireFrom: "Staging",
      separateApprover: true,
    },
  }).Production;

  it("lists every failed rule at once", () => {
    const failures = evaluateGate("Production", gate, candidate);

    expect(failures.map((f) => f.rule)).toEqual([
      "minMetrics.auc",
      "minMetrics.recall",
      "maxMetrics.latency_ms",
      "requiredTags.reviewed",
      "separateApprover",
    ]);
    expect(failures[0]).toMatchObject({ expected: "≥ 0.95", actual: 0.91 });
    expect(failures[1]).toMatchObject({ actual: null, message: "metric recall is missing (needs ≥ 0.5)" });
  });

  it("passes a version that meets every rule", () => {
    const good = {
      ...candidate,
      metrics: { auc: 0.97, recall: 0.6, latency_ms: 20 },
      tags: { team: "risk", reviewed: "yes" },
      approver: "bob",
    };
    expect(evaluateGate("Production", gate, good)).toEqual([]);
  });

  it("requires Production candidates to come from Staging when the policy says nothing", () => {
    expect(evaluateGate("Production", undefined, { ...candidate, from: "Archived" })).toMatchObject([
      { rule: "requireFrom", expected: ["Staging"], actual: "Archived" },
    ]);
    expect(evaluateGate("Staging", undefined, { ...candidate, from: "Archived" })).toEqual([]);
  });

  it("accepts required tags as a list of keys", () => {
    const keysOnly = policyBody.parse({ Staging: { requiredTags: ["team", "owner"] } }).Staging;
    expect(evaluateGate("Staging", keysOnly, { ...candidate, from: "None" })).toMatchObject([
      { rule: "requiredTags.owner", expected: "present" },
    ]);
  });
});

describe("model URIs", () => {
  it.each([
    ["models:/fraud_detector/7", { number: 7 }],
    ["models:/fraud_detector/Production", { stage: "Production" }],
    ["models:/fraud_detector/staging", { stage: "Staging" }],
    ["models:/fraud_detector/latest", { latest: true }],
    ["models:/fraud_detector@champion", { alias: "champion" }],
    ["models:/fraud_detector@latest", { latest: true }],
    ["models:/fraud_detector@v1.4.0", { semver: "1.4.0" }],
  ])("parses %s", (uri, selector) => {
    expect(parseModelUri(uri)).toEqual({ name: "fraud_detector", selector });
  });

  it.each([
    "fraud_detector/1",
    "models:/fraud_detector",
    "models:/fraud_detector/0",
    "models:/fraud_detector/None",
    "models:/fraud_detector@Champion",
    "models:/Fraud/1",
    "models:/fraud_detector@v1.4",
  ])("refuses %s", (uri) => {
    expect(parseModelUri(uri)).toBeUndefined();
  });
});

describe("the {v} selector", () => {
  it.each([
    ["12", { number: 12 }],
    ["v1.2.0", { semver: "1.2.0" }],
    ["Production", { stage: "Production" }],
    ["Archived", { stage: "Archived" }],
    ["latest", { latest: true }],
    ["champion", { alias: "champion" }],
  ])("reads %s", (raw, selector) => {
    expect(versionSelector.parse(raw)).toEqual(selector);
  });

  it.each(["0", "None", "v1.2", "Champion", "-x"])("refuses %s", (raw) => {
    expect(versionSelector.safeParse(raw).success).toBe(false);
  });
});
