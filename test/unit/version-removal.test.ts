import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { ARTIFACT_REF_ENTITY, dropReference } from "../../shared/store/entities/artifact";
import { newVersionItem } from "../../shared/store/entities/version";
import { discardLeaseEnd } from "../../shared/use-cases/artifact-discard";
import type { ArtifactDeps } from "../../shared/use-cases/deps";
import { versionRemoval } from "../../shared/use-cases/version-removal";
import { fixedStore } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const deps = { store: fixedStore(documents) } as unknown as ArtifactDeps;
const NOW = "2026-11-22T10:00:00.000Z";

const digest = (i: number) => i.toString(16).padStart(64, "0");
const refOf = (sha256: string, refCount: number) => ({
  pk: `ARTIFACT#${sha256}`,
  sk: "ARTIFACT",
  entity: ARTIFACT_REF_ENTITY,
  schemaVersion: 1,
  sha256,
  key: `artifacts/sha256/${sha256}`,
  refCount,
  generation: 2,
});

/** A multi-file version of `files` files, each its own bytes. */
const versionOf = (files: number) =>
  newVersionItem({
    model: "fraud_detector",
    version: 3,
    metadata: { metrics: {}, params: {}, features: [], dependencies: {}, lineage: { parentVersions: [], datasets: [] }, tags: {} },
    manifest: {
      files: Array.from({ length: files }, (_, i) => ({
        path: `shards/${i}.bin`,
        sizeBytes: 10,
        sha256: digest(i),
        contentType: "application/octet-stream",
        key: `artifacts/sha256/${digest(i)}`,
      })),
    },
    status: "READY",
    actor: "someone",
    now: NOW,
  });

describe("versionRemoval", () => {
  beforeEach(() => dynamo.reset());

  it("reads the references of a version's 60 objects in one BatchGetItem and drops each conditioned on its ref as read", async () => {
    // Object 0 is shared with another version, object 1's reference is gone, the others are this version's alone.
    const refs = new Map(
      Array.from({ length: 60 }, (_, i) => [digest(i), refOf(digest(i), i === 0 ? 2 : 1)] as const).filter(
        ([sha256]) => sha256 !== digest(1),
      ),
    );
    dynamo.on(BatchGetCommand).callsFake(async (input) => {
      const keys = input.RequestItems.registry.Keys as { pk: string }[];
      const found = keys.map((key) => refs.get(key.pk.slice("ARTIFACT#".length))).filter((ref) => ref !== undefined);
      return { Responses: { registry: found } };
    });

    const removal = await versionRemoval(deps, versionOf(60), [], NOW);

    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(1);
    const refWrites = removal.writes.map(({ write }) => write).filter((write) => write.Update?.Key?.pk.startsWith("ARTIFACT#"));
    expect(refWrites).toEqual([...refs.values()].map((ref) => dropReference(ref, NOW, discardLeaseEnd(NOW)).write));
    expect(removal.discards.map(({ object, claim }) => [object.sha256, claim])).toEqual(
      [...refs.keys()].filter((sha256) => sha256 !== digest(0)).map((sha256) => [sha256, 3]),
    );
  });
});
