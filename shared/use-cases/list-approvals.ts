import { toApprovalView } from "../store/entities/approval";
import type { Page } from "../store/pages";
import type { ApprovalView } from "../schemas/approval";
import type { VersionSelector } from "../schemas/version";
import type { ListingDeps } from "./deps";
import { requireVersion } from "./resolve";

/** A version's standing approvals (each approver's latest decision), in stage then approver order; 404 when the version does not exist. */
export async function listApprovals(
  deps: ListingDeps,
  name: string,
  selector: VersionSelector,
  query: { stage?: string; limit: number; cursor?: string },
): Promise<Page<ApprovalView>> {
  const { version } = await requireVersion(deps, name, selector);
  const { stage, ...page } = query;
  const result = await deps.listings.approvals(name, { version, stage }, page);
  return { items: result.items.map(toApprovalView), nextCursor: result.nextCursor };
}
