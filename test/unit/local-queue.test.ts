import { describe, expect, it } from "vitest";
import type { SQSEvent } from "aws-lambda";
import { LocalQueue, type QueueConsumer } from "../../infra/local/local-queue";

/** A queue over `consumer` that keeps its dead letters and log lines; redelivery without waiting. */
function queueOver(consumer: QueueConsumer) {
  const deadLetters: { body: string; receiveCount: number; reason: string }[] = [];
  const queue = new LocalQueue({
    name: "verification",
    arn: "arn:aws:sqs:us-east-1:000000000000:verification",
    consumer: async () => consumer,
    maxReceives: 3,
    redeliveryDelayMs: 0,
    deadLetter: async ({ body, receiveCount, reason }) => void deadLetters.push({ body, receiveCount, reason }),
    log: () => undefined,
  });
  return { queue, deadLetters };
}

describe("the local queue: at-least-once delivery to its consumer, redelivery, dead letters", () => {
  it("delivers a message as an SQS event of one record, again after a failure, counting receives", async () => {
    const received: SQSEvent["Records"] = [];
    const { queue, deadLetters } = queueOver(async (event) => {
      received.push(...event.Records);
      if (received.length < 3) throw new Error("task failed");
    });

    const messageId = queue.send('{"model":"fraud_detector"}');
    await queue.idle();

    expect(received.map((record) => [record.messageId, record.body, record.attributes.ApproximateReceiveCount])).toEqual([
      [messageId, '{"model":"fraud_detector"}', "1"],
      [messageId, '{"model":"fraud_detector"}', "2"],
      [messageId, '{"model":"fraud_detector"}', "3"],
    ]);
    expect(received[0]).toMatchObject({ eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:verification" });
    expect(deadLetters).toEqual([]);
  });

  it("takes a batch item failure as a failed receive, and dead-letters the message after maxReceives", async () => {
    let receives = 0;
    const { queue, deadLetters } = queueOver(async (event) => {
      receives++;
      return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    queue.send("task");
    await queue.idle();

    expect(receives).toBe(3);
    expect(deadLetters).toEqual([{ body: "task", receiveCount: 3, reason: "reported as a batch item failure" }]);
  });

  it("drops the messages still waiting for redelivery when stopped: nothing is kept across a restart", async () => {
    let receives = 0;
    const deadLetters: string[] = [];
    const queue = new LocalQueue({
      name: "verification",
      arn: "arn:aws:sqs:us-east-1:000000000000:verification",
      consumer: async () => async () => {
        receives++;
        throw new Error("task failed");
      },
      redeliveryDelayMs: 60_000,
      deadLetter: async ({ body }) => void deadLetters.push(body),
      log: () => undefined,
    });

    queue.send("task");
    await expect.poll(() => receives, { timeout: 5_000 }).toBe(1);
    await queue.stop();

    expect(receives).toBe(1);
    expect(deadLetters).toEqual([]);
  });
});
