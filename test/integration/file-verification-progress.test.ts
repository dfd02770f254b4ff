import { describe, expect, it } from "vitest";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../../shared/clients";
import { newFileVerification } from "../../shared/store/entities/file-verification";
import { useTestRegistry, uniqueModelName } from "../support/registry";

const registry = useTestRegistry();

/** A file verification at its start, stored as completing an upload stores it. */
async function storedFile() {
  const file = newFileVerification({
    model: uniqueModelName("fraud_detector"),
    version: 1,
    path: "model.bin",
    key: "artifacts/sha256/aa",
    sizeBytes: 2048,
    sha256: "a".repeat(64),
    startedAt: new Date().toISOString(),
    actor: "local:ci",
    requestId: "req-1",
  });
  await createDocumentClient(registry.config).send(new PutCommand({ TableName: registry.config.tableName, Item: file }));
  return file;
}

describe("saving a file verification's progress", () => {
  it("counts a retried save of the same progress by the same run as saved (its first try applied, its answer was lost), and no other", async () => {
    const file = await storedFile();
    const halfway = { offset: 1024, state: "c3RhdGU=" };
    const now = new Date().toISOString();
    const save = (seen: typeof file, next: Parameters<typeof registry.deps.fileVerifications.advance>[1], run = "run-1") =>
      registry.deps.fileVerifications.advance(seen, next, now, run);

    expect(await save(file, halfway)).toBe(true);
    expect(await save(file, halfway)).toBe(true);
    // A duplicate task's run made the same progress: not this run's save, so that run stops.
    expect(await save(file, halfway, "run-2")).toBe(false);
    expect(await save(file, { offset: 2048, state: "b3RoZXI=" })).toBe(false);
    expect(await save(file, { actualSha256: "b".repeat(64) })).toBe(false);

    const moved = { ...file, ...halfway };
    const hashed = { actualSha256: "b".repeat(64) };
    expect(await save(moved, hashed)).toBe(true);
    expect(await save(moved, hashed)).toBe(true);
    expect(await save(moved, hashed, "run-2")).toBe(false);
    expect(await save(moved, { actualSha256: "c".repeat(64) })).toBe(false);
  });
});
