import type { PolicyFailure } from "./errors";
import { ForbiddenError } from "./errors";
import type { Caller, Role } from "./permissions";
import type { GatedStage } from "./lifecycle";

export const DECISIONS = ["approve", "reject"] as const;
export type Decision = (typeof DECISIONS)[number];

/** The prefix of an approval's `stage` that names a protected alias moving to the version (`alias:champion`). */
export const ALIAS_TARGET_PREFIX = "alias:";
export type ApprovalStage = GatedStage | `${typeof ALIAS_TARGET_PREFIX}${string}`;
export const aliasApprovalTarget = (alias: string): ApprovalStage => `${ALIAS_TARGET_PREFIX}${alias}`;

/** What an approval's stage names: a stage the version enters, or an alias moving to it. */
export function approvalSubject(stage: ApprovalStage): { toStage: GatedStage } | { alias: string } {
  return stage.startsWith(ALIAS_TARGET_PREFIX) ? { alias: stage.slice(ALIAS_TARGET_PREFIX.length) } : { toStage: stage as GatedStage };
}

/** One approver's standing decision on a version entering a stage (or a protected alias moving to it): the latest one wins. */
export interface Approval {
  readonly approver: string;
  readonly decision: Decision;
  /** The roles the approver held when deciding: a gate's `roles` counts approvals by them. */
  readonly roles: readonly Role[];
  readonly comment?: string;
}

/** How many approvals a version needs to enter a stage, and whose count. */
export interface RequiredApprovals {
  readonly count: number;
  /** Only approvers holding one of these roles count (default: anyone who may approve). */
  readonly roles?: readonly Role[];
  /** The version's creator's own approval does not count (default: true). */
  readonly distinctFromCreator?: boolean;
  /** The approval of the caller moving the version does not count (default: false): the move then takes `count` people besides its mover. */
  readonly distinctFromPromoter?: boolean;
}

/** Who takes part in a move: the version's creator, and the caller moving it. */
export interface MoveParties {
  readonly createdBy: string;
  readonly movedBy: string;
}

/** The approvals and rejections that count under `rule` for a move by these parties, each in approver order. */
export function tallyApprovals(
  rule: RequiredApprovals,
  approvals: readonly Approval[],
  parties: MoveParties,
): { approvers: string[]; rejections: Approval[] } {
  const left = leftOut(rule, parties);
  const counts = (a: Approval) => !left.has(a.approver) && (rule.roles === undefined || a.roles.some((role) => rule.roles?.includes(role)));
  const eligible = approvals.filter(counts).sort((a, b) => a.approver.localeCompare(b.approver));
  return {
    approvers: eligible.filter((a) => a.decision === "approve").map((a) => a.approver),
    rejections: eligible.filter((a) => a.decision === "reject"),
  };
}

const excludesCreator = (rule: RequiredApprovals) => rule.distinctFromCreator ?? true;

/** Whose approvals `rule` leaves out of the count, each with who they are to the move. */
function leftOut(rule: RequiredApprovals, { createdBy, movedBy }: MoveParties): Map<string, string> {
  const left = new Map<string, string>();
  if (excludesCreator(rule)) left.set(createdBy, "who registered it");
  if (rule.distinctFromPromoter && !left.has(movedBy)) left.set(movedBy, "who moves it");
  return left;
}

/** Why the approvals recorded for `stage` do not meet `rule`: how many are missing and from whom they may come, and who rejected it. */
export function approvalFailures(
  stage: string,
  rule: RequiredApprovals,
  approvals: readonly Approval[],
  parties: MoveParties,
): PolicyFailure[] {
  const { approvers, rejections } = tallyApprovals(rule, approvals, parties);
  const missing = Math.max(0, rule.count - approvers.length);
  const from = {
    roles: rule.roles ?? ["approver"],
    ...(excludesCreator(rule) ? { notFrom: parties.createdBy } : {}),
    ...(rule.distinctFromPromoter ? { notFromPromoter: parties.movedBy } : {}),
  };
  const failures: PolicyFailure[] = [];
  if (missing > 0) {
    const left = [...leftOut(rule, parties)];
    const others = left.map(([who, role]) => `${who}, ${role}`).join(", and ");
    const ignored = left.filter(([who]) => approvals.some((a) => a.approver === who && a.decision === "approve"));
    failures.push({
      rule: "requiredApprovals",
      expected: { count: rule.count, from },
      actual: { count: approvers.length, approvers, missing },
      message:
        `it has ${approvers.length} of the ${rule.count} approvals ${stage} needs${approvers.length > 0 ? ` (${approvers.join(", ")})` : ""}: ` +
        `${missing} more from a caller holding ${from.roles.join(" or ")}${others ? ` other than ${others}` : ""}` +
        ignored.map(([who]) => ` (${who}'s own approval does not count)`).join("") +
        `; record one with POST …/approvals {"stage": "${stage}", "decision": "approve"}`,
    });
  }
  if (rejections.length > 0) {
    const named = nameRejections(rejections, stage, withComment);
    failures.push({
      rule: "requiredApprovals.rejected",
      expected: "no standing rejection",
      actual: named.rejectedBy,
      message: `${named.text} rejected it for ${stage}; a rejection stands until its approver records "approve"`,
    });
  }
  return failures;
}

/** How many rejecting approvers a refusal names; it counts the rest. */
export const NAMED_REJECTIONS = 20;

/**
 * The first NAMED_REJECTIONS rejecting approvers, in the order given, and how many rejected in all.
 * A rejection is always recorded (only approvals are capped), and one person may reject under many
 * session names: a refusal naming thousands, with their comments, would outgrow the 6 MB a Lambda
 * answers with, and the caller would get a 502 without a reason.
 */
function nameRejections(
  rejections: readonly Approval[],
  stage: string,
  describe: (rejection: Approval) => string = (r) => r.approver,
): { rejectedBy: { count: number; approvers: string[] }; text: string } {
  const named = rejections.slice(0, NAMED_REJECTIONS);
  const more = rejections.length - named.length;
  return {
    rejectedBy: { count: rejections.length, approvers: named.map((r) => r.approver) },
    text: `${named.map(describe).join(", ")}${more > 0 ? ` and ${more} more (GET …/approvals?stage=${stage} lists them all)` : ""}`,
  };
}

/** A comment is at most 1024 characters (recordApprovalBody): twenty of them are a few tens of KB. */
const withComment = (r: Approval) => (r.comment ? `${r.approver} ("${r.comment}")` : r.approver);

/**
 * Whether `caller` may move or remove a protected alias off or onto `version`: an admin may; anyone
 * else needs a standing approval of that version for the alias by someone other than themselves,
 * and no standing rejection. The 403 names what is missing.
 */
export function protectedAliasRefusal(
  target: { model: string; alias: string; version: number; action: string },
  caller: Caller,
  approvals: readonly Approval[],
): ForbiddenError | undefined {
  if (caller.roles.includes("admin")) return undefined;
  const others = approvals.filter((a) => a.approver !== caller.actor);
  const approved = others.some((a) => a.decision === "approve");
  const rejections = approvals.filter((a) => a.decision === "reject");
  if (approved && rejections.length === 0) return undefined;
  const stage = aliasApprovalTarget(target.alias);
  const rejected = nameRejections(rejections, stage);
  const missing = rejections.length > 0 ? `${rejected.text} rejected it` : `no one but ${caller.actor} has approved it`;
  return new ForbiddenError(
    `'${target.alias}' is a protected alias of '${target.model}': ${target.action} needs the 'admin' role, or an approval of version ` +
      `${target.version} for "${stage}" by a caller other than ${caller.actor} and no rejection; ${missing}. ` +
      `An approver records one with POST /models/${target.model}/versions/${target.version}/approvals {"stage": "${stage}", "decision": "approve"}.`,
    {
      protectedAlias: target.alias,
      version: target.version,
      missingRole: "admin",
      missingApproval: { stage, notFrom: caller.actor },
      rejectedBy: rejected.rejectedBy,
    },
  );
}
