import { describe, expect, it } from "vitest";
import { approvalFailures, protectedAliasRefusal, tallyApprovals, type Approval } from "../../shared/domain/approvals";
import type { Caller } from "../../shared/domain/permissions";

const approval = (approver: string, decision: Approval["decision"] = "approve", roles: Approval["roles"] = ["approver"]): Approval => ({
  approver,
  decision,
  roles,
});

describe("counting approvals", () => {
  it("counts the creator's own approval only when the gate says distinctFromCreator: false", () => {
    const approvals = [approval("carol"), approval("alice")];

    expect(tallyApprovals({ count: 2 }, approvals, "carol").approvers).toEqual(["alice"]);
    expect(tallyApprovals({ count: 2, distinctFromCreator: false }, approvals, "carol").approvers).toEqual(["alice", "carol"]);
  });

  it("ignores a rejection by someone whose approval would not count", () => {
    const approvals = [approval("alice"), approval("bob", "reject", ["reader", "approver"]), approval("root", "approve", ["admin"])];

    expect(approvalFailures("Production", { count: 1, roles: ["admin"] }, approvals, "carol")).toEqual([]);
    expect(approvalFailures("Production", { count: 1 }, approvals, "carol").map((f) => f.rule)).toEqual(["requiredApprovals.rejected"]);
  });
});

describe("moving a protected alias", () => {
  const target = { model: "fraud_detector", alias: "champion", version: 2, action: "moving it" };
  const promoter: Caller = { actor: "bot", requestId: "r", roles: ["reader", "promoter"] };

  it("is refused while a rejection stands, even beside another's approval, and names who rejected", () => {
    const refusal = protectedAliasRefusal(target, promoter, [approval("alice"), approval("bob", "reject")]);

    expect(refusal?.message).toContain("bob rejected it");
    expect(refusal?.details).toMatchObject({ rejectedBy: ["bob"], missingRole: "admin" });
  });

  it("is allowed to an admin without any approval", () => {
    expect(protectedAliasRefusal(target, { ...promoter, roles: ["admin"] }, [])).toBeUndefined();
  });
});
