import { describe, expect, it } from "vitest";
import { MiB } from "../../shared/domain/artifacts";
import { verificationTask } from "../../shared/schemas/verification-task";
import { firstTaskOf, newFileVerification, startedByTask } from "../../shared/store/entities/file-verification";

describe("a chunked manifest's first verification task", () => {
  it("starts, once through the queue, the very verification the completion planned: a file uploaded in parts stays one", () => {
    const planned = newFileVerification({
      model: "llm_finetune",
      version: 3,
      path: "shards/model-00070.safetensors",
      index: 70,
      key: `artifacts/sha256/${"ab".repeat(32)}`,
      sizeBytes: 96 * MiB,
      sha256: "ab".repeat(32),
      startedAt: "2026-11-22T10:00:00.000Z",
      actor: "training-ci",
      requestId: "req-1",
      refGeneration: 2,
      uploadedInParts: true,
    });

    const delivered = verificationTask.parse(JSON.parse(JSON.stringify(firstTaskOf(planned))));

    expect(startedByTask(delivered as Parameters<typeof startedByTask>[0])).toEqual(planned);
  });
});
