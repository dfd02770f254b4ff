import { approvalSubject } from "../domain/approvals";
import { ModelNotFoundError, VersionNotReadyError } from "../domain/errors";
import type { HistoryDraft } from "../domain/history";
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
 * 2. the same decision and comment again changes nothing (answered as recorded);
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
