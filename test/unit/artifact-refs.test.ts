import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ARTIFACT_REF_ENTITY, artifactRefKey } from "../../shared/store/entities/artifact";
import { DEFAULT_RETRY_POLICY } from "../../shared/store/model-change";
import { fixedStore } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const waits: number[] = [];
// The store's retry policy, its waits recorded instead of slept.
const store = fixedStore(documents, { retry: { ...DEFAULT_RETRY_POLICY, sleep: async (ms) => void waits.push(ms) } });

const digest = (i: number) => i.toString(16).padStart(64, "0");
const refItem = (key: { pk: string; sk: string }) => ({
  ...key,
  entity: ARTIFACT_REF_ENTITY,
  schemaVersion: 1,
  sha256: key.pk.slice("ARTIFACT#".length),
  key: `artifacts/sha256/${key.pk.slice("ARTIFACT#".length)}`,
  refCount: 1,
});
type BatchKeys = { pk: string; sk: string }[];
const keysOf = (input: { RequestItems?: Record<string, { Keys?: unknown[] }> }) => (input.RequestItems?.registry?.Keys ?? []) as BatchKeys;

describe("getArtifactRefs", () => {
  beforeEach(() => dynamo.reset());

  it("reads 250 references 100 keys a call, consistently, and asks again, after the store's retry wait, for the keys DynamoDB left unprocessed", async () => {
    const digests = Array.from({ length: 250 }, (_, i) => digest(i));
    const absent = new Set([digest(7), digest(249)]);
    const leftOnce = new Set<string>();
    dynamo.on(BatchGetCommand).callsFake(async (input) => {
      const keys = keysOf(input);
      // Throttled: the first time a batch is asked for, its second half is left unprocessed.
      const fresh = keys.filter((key) => !leftOnce.has(key.pk));
      const left = fresh.slice(Math.ceil(fresh.length / 2));
      for (const key of left) leftOnce.add(key.pk);
      const answered = keys.filter((key) => !left.includes(key) && !absent.has(key.pk.slice("ARTIFACT#".length)));
      return { Responses: { registry: answered.map(refItem) }, UnprocessedKeys: left.length ? { registry: { Keys: left } } : {} };
    });

    const refs = await store.getArtifactRefs(digests);

    expect([...refs.keys()].sort()).toEqual(digests.filter((sha256) => !absent.has(sha256)));
    const calls = dynamo.commandCalls(BatchGetCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => keysOf(input).length).sort((a, b) => b - a)).toEqual([100, 100, 50, 50, 50, 25]);
    expect(calls.every((input) => input.RequestItems?.registry?.ConsistentRead === true)).toBe(true);
    const asked = calls.flatMap((input) => keysOf(input).map((key) => key.pk));
    expect(new Set(asked)).toEqual(new Set(digests.map((sha256) => artifactRefKey(sha256).pk)));
    expect(asked).toHaveLength(250 + 125);
    expect(waits).toHaveLength(3);
  });
});
