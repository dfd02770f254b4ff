import { paginateQuery, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { approvalFromItem, approvalKey, approvalsPrefix, type ApprovalItem } from "./entities/approval";
import { historyFromItem, historyKey, type HistoryItem } from "./entities/history";
import { policyFromItem, policyKey, type PolicyItem } from "./entities/policy";
import { firstMatch } from "./first-match";
import { readItem } from "./item-reader";
import { modelPartition } from "./keys";

/**
 * What a promotion reads besides the model and its versions: the model's policy, the approvals its
 * gates count, and the move a rollback undoes. Apart from the registry store, so that only the
 * functions that promote or show the policy (lifecycle, query), and housekeeping (retention spares
 * the version a rollback puts back), carry them.
 */
export class PromotionReads {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The model's promotion policy: what each stage's gate asks for. */
  getPolicy(name: string): Promise<PolicyItem | undefined> {
    return readItem({ dynamo: this.dynamo, tableName: this.tableName }, policyKey(name), policyFromItem);
  }

  getApproval(name: string, version: number, stage: string, approver: string): Promise<ApprovalItem | undefined> {
    return readItem({ dynamo: this.dynamo, tableName: this.tableName }, approvalKey(name, version, stage, approver), approvalFromItem);
  }

  /** Every standing decision on a version for one stage or alias (a handful: read whole, strongly consistent, as a plan counts them). */
  async approvalsFor(name: string, version: number, stage: string): Promise<ApprovalItem[]> {
    const approvals: ApprovalItem[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :approvals)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":approvals": approvalsPrefix(version, stage) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) approvals.push(...(page.Items ?? []).map(approvalFromItem));
    return approvals;
  }

  /**
   * The newest history entry up to `asOf` (a model item's historySequence) that moved a version into
   * `stage`: what the model looked like when read, not what later changes made of it. Moves of a
   * deleted model the name held before do not count: the search stops at its MODEL_DELETED.
   */
  async latestMoveInto(name: string, stage: string, asOf: number): Promise<HistoryItem | undefined> {
    // The first match, newest first: no page, no cursor, so nothing is read past it.
    const newest = await firstMatch(
      { dynamo: this.dynamo, tableName: this.tableName },
      {
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :asOf",
        FilterExpression: "(#action = :changed AND toStage = :stage) OR #action = :deleted",
        ExpressionAttributeNames: { "#action": "action" },
        ExpressionAttributeValues: {
          ":pk": modelPartition(name),
          ":first": historyKey(name, 1).sk,
          ":asOf": historyKey(name, asOf).sk,
          ":changed": "STAGE_CHANGED",
          ":stage": stage,
          ":deleted": "MODEL_DELETED",
        },
        ScanIndexForward: false,
      },
    );
    return newest && newest.action !== "MODEL_DELETED" ? historyFromItem(newest) : undefined;
  }
}
