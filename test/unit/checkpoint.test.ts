import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { HistoryDraft } from "../../shared/domain/history";
import type { ModelItem } from "../../shared/store/entities/model";
import type { RegistryStoreOptions } from "../../shared/store/registry-store";
import { FIXED_NOW, fixedStore, modelItem, firstInLine } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const ci = { actor: "arn:aws:iam::123456789012:role/ci", requestId: "req-7" };
const aliasMove: HistoryDraft = { action: "ALIAS_CHANGED", alias: "champion", version: 2 };

type Put = { Put: { Item: Record<string, unknown>; ConditionExpression?: string } };

/** Commits `history` over a stored `model` and answers the transaction's items. */
async function commit(
  model: ModelItem,
  history: HistoryDraft[],
  options: RegistryStoreOptions = { checkpointInterval: 5 },
): Promise<Put[]> {
  dynamo.on(GetCommand).resolves({ Item: model });
  dynamo.on(TransactWriteCommand).resolves({});
  await fixedStore(documents, options).change(ci, "fraud_detector", (current) => ({ model: current!, history, result: () => undefined }));
  return dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems as Put[];
}

const checkpoints = (items: Put[]) => items.filter((item) => item.Put?.Item.entity === "checkpoint");

beforeEach(() => {
  dynamo.reset();
  firstInLine(dynamo);
});

describe("history checkpoints", () => {
  it("writes the model's stages and aliases as a checkpoint in the transaction of the 5th entry", async () => {
    const model = modelItem({ historySequence: 4, revision: 4, stages: { Production: 1, Staging: [3, 2] }, aliases: { champion: 1 } });

    const items = await commit(model, [aliasMove]);

    expect(items.at(-1)?.Put.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(items.at(-1)?.Put.Item).toEqual({
      pk: "MODEL#fraud_detector",
      sk: `CHECKPOINT#${FIXED_NOW.toISOString()}#0000000005`,
      entity: "checkpoint",
      schemaVersion: 1,
      model: "fraud_detector",
      sequence: 5,
      occurredAt: FIXED_NOW.toISOString(),
      stages: { Production: 1, Staging: [2, 3] },
      aliases: { champion: 1 },
    });
  });

  it("numbers the checkpoint after the last entry of a commit that passes a multiple of the interval", async () => {
    const model = modelItem({ historySequence: 9, revision: 9 });

    const items = await commit(model, [aliasMove, aliasMove, aliasMove]);

    expect(checkpoints(items).map((item) => item.Put.Item.sequence)).toEqual([12]);
  });

  it("writes no checkpoint in a transaction that passes no multiple of the interval", async () => {
    const model = modelItem({ historySequence: 5, revision: 5 });

    const items = await commit(model, [aliasMove, aliasMove]);

    expect(checkpoints(items)).toEqual([]);
    expect(items).toHaveLength(3);
  });

  it("takes a checkpoint every 100 entries by default", async () => {
    const at99 = await commit(modelItem({ historySequence: 98, revision: 98 }), [aliasMove], {});
    dynamo.reset();
    firstInLine(dynamo);
    const at100 = await commit(modelItem({ historySequence: 99, revision: 99 }), [aliasMove], {});

    expect(checkpoints(at99)).toEqual([]);
    expect(checkpoints(at100).map((item) => item.Put.Item.sequence)).toEqual([100]);
  });
});
