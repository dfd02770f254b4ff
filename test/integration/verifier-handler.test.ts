import { randomBytes } from "node:crypto";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalQueue } from "../../infra/local/local-queue";
import { WorkerPool } from "../../infra/local/worker-pool";
import type { VerificationTask } from "../../shared/schemas/verification-task";
import { registerVersionBody } from "../../shared/schemas/version";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { getVersion } from "../../shared/use-cases/get-version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { lambdaContext, putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { uniqueModelName, useRegistryEnvironment, useTestRegistry } from "../support/registry";

const ci = roleCaller("training-ci", "req-verifier-handler");
const registry = useTestRegistry();
let handler: typeof import("../../functions/verifier/handler")["handler"];
beforeAll(async () => {
  useRegistryEnvironment(registry);
  ({ handler } = await import("../../functions/verifier/handler"));
});

const record = (messageId: string, body: string) => ({ messageId, body }) as SQSRecord;
const malformed = [
  record("not-json", "{model: fraud_detector"),
  record("not-a-task", JSON.stringify({ model: "fraud_detector", version: "1" })),
  record("more-than-a-task", JSON.stringify({ model: "fraud_detector", version: 1, path: "m.bin", startedAt: "x", sizeBytes: 1 })),
];

/** A version whose upload was completed: the verification task its completion sent. */
async function completedTask(): Promise<VerificationTask> {
  const name = uniqueModelName("vision_encoder");
  const bytes = randomBytes(4096);
  const body = registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes) } });
  await putBytes(singlePut((await registerVersion(registry.deps, name, body, ci)).upload), bytes);
  await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
  return registry.deps.verifications.waiting.shift() as VerificationTask;
}

describe("the verifier handler given a message that is not a verification task", () => {
  it("reports each malformed message as a batch item failure and still verifies the task beside it", async () => {
    const task = await completedTask();
    const event: SQSEvent = { Records: [malformed[0], record("task", JSON.stringify(task)), ...malformed.slice(1)] as SQSRecord[] };

    const response = await handler(event, lambdaContext);

    expect(response.batchItemFailures).toEqual(malformed.map((r) => ({ itemIdentifier: r.messageId })));
    expect(await getVersion(registry.deps, task.model, { number: task.version })).toMatchObject({ status: "READY" });
  });

  it("is received at most the queue's receive limit, then dead-lettered with its body: it never loops", async () => {
    const deadLetters: { body: string; receiveCount: number }[] = [];
    // In workers, as `npm start` runs the verifier.
    const queue = new LocalQueue({
      name: "verification",
      arn: "arn:aws:sqs:us-east-1:000000000000:verification",
      consumer: new WorkerPool({ script: new URL("../../infra/local/verifier-worker.ts", import.meta.url) }),
      maxReceives: 3,
      redeliveryDelayMs: 0,
      deadLetter: async ({ body, receiveCount }) => void deadLetters.push({ body, receiveCount }),
      log: () => undefined,
    });

    for (const { body } of malformed) queue.send(body);
    await queue.idle();
    await queue.stop();

    expect(deadLetters).toEqual(expect.arrayContaining(malformed.map(({ body }) => ({ body, receiveCount: 3 }))));
    expect(deadLetters).toHaveLength(malformed.length);
  });
});
