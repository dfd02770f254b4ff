import { beforeAll, describe, expect, it } from "vitest";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../../shared/clients";
import { recordApprovalBody } from "../../shared/schemas/approval";
import { registerVersionBody } from "../../shared/schemas/version";
import { newApprovalItem } from "../../shared/store/entities/approval";
import { MAX_APPROVALS_PER_STAGE, recordApproval } from "../../shared/use-cases/record-approval";
import { registerVersion } from "../../shared/use-cases/register-version";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
/** A caller who assumed the approver role under a session name of its choosing. */
const session = (i: number) => `arn:aws:sts::123456789012:assumed-role/risk-approver/${String(i).padStart(64, "s")}`;
const approver = roleCaller("approver", "req-approval-count");
const decide = (decision: "approve" | "reject") =>
  recordApproval(registry.deps, name, { number: 1 }, recordApprovalBody.parse({ stage: "Staging", decision }), approver);

beforeAll(async () => {
  await registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ source: "s3://training/model.tar.gz" }),
    roleCaller("ci", "req-1"),
  );
  // As many approvals as a version may hold for Staging, recorded long ago (staged, not recorded one by one).
  const now = new Date().toISOString();
  const approvals = Array.from({ length: MAX_APPROVALS_PER_STAGE }, (_, i) =>
    newApprovalItem({ model: name, version: 1, stage: "Staging", approver: session(i), roles: ["approver"], decision: "approve", now }),
  );
  const documents = createDocumentClient(registry.config);
  for (let first = 0; first < approvals.length; first += 25) {
    const puts = approvals.slice(first, first + 25).map((Item) => ({ PutRequest: { Item } }));
    await documents.send(new BatchWriteCommand({ RequestItems: { [registry.config.tableName]: puts } }));
  }
});

describe("a version holding the most approvals for a stage it may", () => {
  it("refuses another approval with 400 saying those are enough, writing nothing", async () => {
    const before = await registry.state();

    await expect(decide("approve")).rejects.toMatchObject({
      code: "ValidationError",
      message: expect.stringContaining(`at most ${MAX_APPROVALS_PER_STAGE} per stage`),
    });
    expect(await registry.state()).toEqual(before);
  });

  it("still records a rejection", async () => {
    const recorded = await decide("reject");

    expect(recorded.decision).toBe("reject");
  });
});
