import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mapConcurrently } from "../runs";
import type { VerificationTask } from "../schemas/verification-task";

/** Where file verification tasks go: the verifier takes them from there, at least once each. */
export interface VerificationQueue {
  send(tasks: readonly VerificationTask[]): Promise<void>;
}

/** The verification queue in SQS (locally, the in-process stand-in behind the same API). */
export class SqsVerificationQueue implements VerificationQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** SendMessageBatch, 10 tasks a call, a few calls at once: 10,000 tasks in 1,000 calls, not 10,000. A task SQS refuses fails the send. */
  async send(tasks: readonly VerificationTask[]): Promise<void> {
    const batches = Array.from({ length: Math.ceil(tasks.length / TASKS_PER_BATCH) }, (_, i) =>
      tasks.slice(i * TASKS_PER_BATCH, (i + 1) * TASKS_PER_BATCH),
    );
    await mapConcurrently(batches, BATCHES_AT_ONCE, async (batch) => {
      const entries = batch.map((task, i) => ({ Id: String(i), MessageBody: JSON.stringify(task) }));
      const { Failed = [] } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if (Failed.length > 0)
        throw new Error(
          `SQS refused ${Failed.length} verification task(s): ${Failed.map((entry) => `${entry.Code}: ${entry.Message}`).join("; ")}`,
        );
    });
  }
}

/** SendMessageBatch takes at most 10 messages. */
const TASKS_PER_BATCH = 10;
/** Calls in flight at once, within the SDK's 50 sockets. */
const BATCHES_AT_ONCE = 32;

/** The queue at `url` through an SQS client of its own: a queue URL names its endpoint (https://sqs.<region>.amazonaws.com/… in AWS, the local stand-in locally). */
export function sqsVerificationQueue(url: string, region: string): VerificationQueue {
  return new SqsVerificationQueue(new SQSClient({ region, endpoint: new URL(url).origin, maxAttempts: 3 }), url);
}
