import { describe, expect, it } from "vitest";
import { NAMED_REJECTIONS, approvalFailures, protectedAliasRefusal, tallyApprovals, type Approval } from "../../shared/domain/approvals";
import type { Caller } from "../../shared/domain/permissions";

const approval = (approver: string, decision: Approval["decision"] = "approve", roles: Approval["roles"] = ["approver"]): Approval => ({
  approver,
  decision,
  roles,
});

/** `count` rejections in approver order, each by a session of one role (a caller names its sessions as it likes), with the longest comment. */
const manyRejections = (count: number): Approval[] =>
  Array.from({ length: count }, (_, i) => ({
    ...approval(`arn:aws:sts::123456789012:assumed-role/risk-approver/session-${String(i).padStart(5, "0")}`, "reject"),
    comment: "c".repeat(1024),
  }));

/** A version carol registered, moved by release-bot. */
const CAROLS = { createdBy: "carol", movedBy: "release-bot" };

describe("counting approvals", () => {
  it("counts the creator's own approval only when the gate says distinctFromCreator: false", () => {
    const approvals = [approval("carol"), approval("alice")];

    expect(tallyApprovals({ count: 2 }, approvals, CAROLS).approvers).toEqual(["alice"]);
    expect(tallyApprovals({ count: 2, distinctFromCreator: false }, approvals, CAROLS).approvers).toEqual(["alice", "carol"]);
  });

  it("leaves out the mover's own approval only when the gate says distinctFromPromoter: true, saying whose it was", () => {
    const approvals = [approval("carol"), approval("alice"), approval("release-bot")];
    const rule = { count: 2, distinctFromPromoter: true };

    expect(tallyApprovals({ count: 2 }, approvals, CAROLS).approvers).toEqual(["alice", "release-bot"]);
    expect(tallyApprovals(rule, approvals, CAROLS).approvers).toEqual(["alice"]);
    const [failure] = approvalFailures("Production", rule, approvals, CAROLS);
    expect(failure?.expected).toEqual({ count: 2, from: { roles: ["approver"], notFrom: "carol", notFromPromoter: "release-bot" } });
    expect(failure?.message).toContain(
      "1 more from a caller holding approver other than carol, who registered it, and release-bot, who moves it " +
        "(carol's own approval does not count) (release-bot's own approval does not count)",
    );
    const ownVersion = approvalFailures("Production", { ...rule, count: 3 }, approvals, { createdBy: "carol", movedBy: "carol" });
    expect(ownVersion[0]?.message).toContain("other than carol, who registered it (carol's own approval does not count);");
  });

  it("ignores a rejection by someone whose approval would not count", () => {
    const approvals = [approval("alice"), approval("bob", "reject", ["reader", "approver"]), approval("root", "approve", ["admin"])];

    expect(approvalFailures("Production", { count: 1, roles: ["admin"] }, approvals, CAROLS)).toEqual([]);
    expect(approvalFailures("Production", { count: 1 }, approvals, CAROLS).map((f) => f.rule)).toEqual(["requiredApprovals.rejected"]);
  });

  it("names the first rejecting approvers with their comments and counts the rest, however many rejected", () => {
    const approvals = manyRejections(10_000);

    const rejected = approvalFailures("Production", { count: 1 }, approvals, CAROLS).find((f) => f.rule === "requiredApprovals.rejected");

    expect(rejected?.actual).toEqual({ count: 10_000, approvers: approvals.slice(0, NAMED_REJECTIONS).map((a) => a.approver) });
    expect(rejected?.message).toContain(`${approvals[0]?.approver} ("${approvals[0]?.comment}")`);
    expect(rejected?.message).toContain(` and ${10_000 - NAMED_REJECTIONS} more (GET …/approvals?stage=Production lists them all)`);
    expect(JSON.stringify(rejected).length).toBeLessThan(64 * 1024);
  });
});

describe("moving a protected alias", () => {
  const target = { model: "fraud_detector", alias: "champion", version: 2, action: "moving it" };
  const promoter: Caller = { actor: "bot", requestId: "r", roles: ["reader", "promoter"] };

  it("is refused while a rejection stands, even beside another's approval, and names who rejected", () => {
    const refusal = protectedAliasRefusal(target, promoter, [approval("alice"), approval("bob", "reject")]);

    expect(refusal?.message).toContain("bob rejected it");
    expect(refusal?.details).toMatchObject({ rejectedBy: { count: 1, approvers: ["bob"] }, missingRole: "admin" });
  });

  it("names the first rejecting approvers and counts the rest, however many rejected", () => {
    const approvals = manyRejections(10_000);

    const refusal = protectedAliasRefusal(target, promoter, approvals);

    expect(refusal?.details).toMatchObject({
      rejectedBy: { count: 10_000, approvers: approvals.slice(0, NAMED_REJECTIONS).map((a) => a.approver) },
    });
    expect(refusal?.message).toContain(` and ${10_000 - NAMED_REJECTIONS} more (GET …/approvals?stage=alias:champion lists them all)`);
    expect(JSON.stringify({ message: refusal?.message, details: refusal?.details }).length).toBeLessThan(64 * 1024);
  });

  it("is allowed to an admin without any approval", () => {
    expect(protectedAliasRefusal(target, { ...promoter, roles: ["admin"] }, [])).toBeUndefined();
  });
});
