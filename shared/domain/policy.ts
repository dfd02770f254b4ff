import { approvalFailures, type Approval, type RequiredApprovals } from "./approvals";
import type { PolicyFailure } from "./errors";
import type { GatedStage, Stage } from "./lifecycle";

/** The rules a version must meet to enter one stage; every rule is optional. */
export interface StageGate {
  readonly minMetrics?: Readonly<Record<string, number>>;
  readonly maxMetrics?: Readonly<Record<string, number>>;
  /** Tag keys the version must carry, or key → the value it must have. */
  readonly requiredTags?: readonly string[] | Readonly<Record<string, string>>;
  readonly requireFrom?: readonly Stage[];
  readonly separateApprover?: boolean;
  readonly requiredApprovals?: RequiredApprovals;
}

/** Whether the policy protects `alias`: moving or removing it needs an admin or an approval (docs/lifecycle.md, "Protected aliases"). */
export const isProtectedAlias = (policy: { readonly protectedAliases?: readonly string[] } | undefined, alias: string): boolean =>
  policy?.protectedAliases?.includes(alias) ?? false;

/** Without a `requireFrom`, Production takes versions from Staging only (docs/lifecycle.md, "Promotion policy"). */
const DEFAULT_REQUIRE_FROM: Readonly<Record<GatedStage, readonly Stage[] | undefined>> = { Production: ["Staging"], Staging: undefined };

/** What a gate looks at: the version as it is, where it comes from, and who moves it. */
export interface GateCandidate {
  readonly from: Stage;
  readonly metrics: Readonly<Record<string, number>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdBy: string;
  readonly approver: string;
  /** The standing decisions recorded for this version entering the stage (read only when the gate requires approvals). */
  readonly approvals?: readonly Approval[];
}

/** Every rule of the gate for `stage` that the candidate fails; empty when it may enter. */
export function evaluateGate(stage: GatedStage, gate: StageGate | undefined, candidate: GateCandidate): PolicyFailure[] {
  return [
    ...metricFailures("minMetrics", gate?.minMetrics, candidate.metrics),
    ...metricFailures("maxMetrics", gate?.maxMetrics, candidate.metrics),
    ...tagFailures(gate?.requiredTags, candidate.tags),
    ...fromFailures(gate?.requireFrom ?? DEFAULT_REQUIRE_FROM[stage], candidate.from),
    ...(gate?.separateApprover && candidate.approver === candidate.createdBy
      ? [
          {
            rule: "separateApprover",
            expected: `someone other than ${candidate.createdBy}`,
            actual: candidate.approver,
            message:
              `${candidate.approver} registered this version, so someone else must approve it: move it as another caller ` +
              `(to act as several people with npm start, see "Acting as several people locally" in README.md)`,
          },
        ]
      : []),
    ...(gate?.requiredApprovals
      ? approvalFailures(stage, gate.requiredApprovals, candidate.approvals ?? [], {
          createdBy: candidate.createdBy,
          movedBy: candidate.approver,
        })
      : []),
  ];
}

function metricFailures(
  rule: "minMetrics" | "maxMetrics",
  bounds: Record<string, number> | undefined,
  metrics: Readonly<Record<string, number>>,
): PolicyFailure[] {
  const [word, fails] = rule === "minMetrics" ? ["≥", (v: number, b: number) => v < b] : ["≤", (v: number, b: number) => v > b];
  return Object.entries(bounds ?? {}).flatMap(([metric, bound]) => {
    const actual = ownValue(metrics, metric);
    if (actual !== undefined && !fails(actual, bound)) return [];
    const message =
      actual === undefined
        ? `metric ${metric} is missing (needs ${word} ${bound})`
        : `metric ${metric} is ${actual} (needs ${word} ${bound})`;
    return [{ rule: `${rule}.${metric}`, expected: `${word} ${bound}`, actual: actual ?? null, message }];
  });
}

function tagFailures(required: StageGate["requiredTags"], tags: Readonly<Record<string, string>>): PolicyFailure[] {
  const wanted: [string, string | undefined][] = Array.isArray(required)
    ? required.map((key) => [key, undefined])
    : Object.entries(required ?? {});
  return wanted.flatMap(([key, value]) => {
    const actual = ownValue(tags, key);
    if (actual !== undefined && (value === undefined || actual === value)) return [];
    const expected = value === undefined ? "present" : value;
    const message =
      actual === undefined
        ? `tag ${key} is missing${value === undefined ? "" : ` (needs "${value}")`}`
        : `tag ${key} is "${actual}" (needs "${value}")`;
    return [{ rule: `requiredTags.${key}`, expected, actual: actual ?? null, message }];
  });
}

function fromFailures(allowed: readonly Stage[] | undefined, from: Stage): PolicyFailure[] {
  if (!allowed || allowed.includes(from)) return [];
  return [
    { rule: "requireFrom", expected: allowed, actual: from, message: `it comes from ${from}, but must come from ${allowed.join(" or ")}` },
  ];
}

/** A rule naming `constructor` must not find Object.prototype's: only the version's own entries count. */
function ownValue<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
