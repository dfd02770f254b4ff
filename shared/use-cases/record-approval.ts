import { approvalSubject } from "../domain/approvals";
import { ModelNotFoundError, ValidationError, VersionNotReadyError } from "../domain/errors";
import type { HistoryDraft } from "../domain/history";
import type { VersionItem } from "../store/entities/version";
import type { Caller } from "../domain/permissions";
import { newApprovalItem, putApproval, toApprovalView } from "../store/entities/approval";
import { unchanged } from "../store/model-change";
import type { ApprovalView, RecordApprovalInput } from "../schemas/approval";
import type { VersionSelector } from "../schemas/version";
import type { PromotionDeps } from "./deps";
import { requireVersion, rereadVersion } from "./resolve";

/**
 * Records an approver's decision on a version entering a stage, or a protected alias moving to it
 * (docs/lifecycle.md, "Approvals"), as a model change: a promotion that counted the approvals
 * before it commits re-plans and counts again.
 * 1. resolve `{v}`; inside the change, the version must still exist and be READY;
 * 2. the same decision and comment again changes nothing (answered as recorded); a new approval
 *    must leave the version within MAX_APPROVALS_PER_STAGE for that stage (400; a rejection always goes);
 * 3. one transaction: the approval item of this version, stage and approver (replacing the
 *    approver's earlier decision) and an APPROVAL_RECORDED entry.
 */
export async function recordApproval(
  deps: PromotionDeps,
  name: string,
  selector: VersionSelector,
  input: RecordApprovalInput,
  who: Caller,
): Promise<ApprovalView> {
  const first = await requireVersion(deps, name, selector);
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const version = await rereadVersion(deps, first);
    if (version.status !== "READY") {
      throw new VersionNotReadyError(
        name,
        version.version,
        version.status,
        "only READY versions can be approved. Finish its upload first.",
      );
    }
    const before = await deps.promotionReads.getApproval(name, version.version, input.stage, who.actor);
    if (before && before.decision === input.decision && before.comment === input.comment) return unchanged(toApprovalView(before));
    if (input.decision === "approve" && before?.decision !== "approve") await assertRoomForApproval(deps, version, input.stage);
    const item = newApprovalItem({
      model: name,
      version: version.version,
      stage: input.stage,
      approver: who.actor,
      roles: who.roles,
      decision: input.decision,
      comment: input.comment,
      now,
    });
    return {
      model: current,
      writes: [{ write: putApproval(item) }],
      history: [approvalRecorded(version.version, input, before?.decision ?? null)],
      result: () => toApprovalView(item),
    };
  });
}

/** The entry names the stage (toStage) or the alias the approval is for, the decision and the one it replaced. */
function approvalRecorded(version: number, input: RecordApprovalInput, previous: string | null): HistoryDraft {
  return {
    action: "APPROVAL_RECORDED",
    version,
    ...approvalSubject(input.stage),
    reason: input.comment,
    changes: { decision: { from: previous, to: input.decision } },
  };
}

/**
 * The approvals one version holds at most for one stage. The promotion's STAGE_CHANGED entry and
 * its event list every approver that counted, an IAM ARN of up to about 600 bytes (and a caller who
 * may assume a role names its sessions as it likes): 3,000 approvers of 117-byte ARNs made the
 * event 360 KB, over EventBridge's 256 KB (never delivered), and about 3,400 make the entry exceed
 * DynamoDB's 400 KB (the promotion fails). A gate asks for at most 10; 200 ARNs of the longest
 * (an IAM user's, with a 512-character path) are 124 KB, within both.
 */
export const MAX_APPROVALS_PER_STAGE = 200;

async function assertRoomForApproval(deps: PromotionDeps, version: VersionItem, stage: string): Promise<void> {
  const decisions = await deps.promotionReads.approvalsFor(version.model, version.version, stage);
  const approvals = decisions.filter((decision) => decision.decision === "approve").length;
  if (approvals >= MAX_APPROVALS_PER_STAGE)
    throw new ValidationError(
      `Version ${version.version} of '${version.model}' holds ${approvals} approvals for ${stage}: a version holds at most ` +
        `${MAX_APPROVALS_PER_STAGE} per stage, and a gate asks for at most 10, so those are enough. A rejection is still recorded.`,
      [{ path: "body.decision", message: `at most ${MAX_APPROVALS_PER_STAGE} approvals per version and stage` }],
    );
}
