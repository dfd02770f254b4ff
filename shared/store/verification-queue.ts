import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
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

  async send(tasks: readonly VerificationTask[]): Promise<void> {
    await Promise.all(
      tasks.map((task) => this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(task) }))),
    );
  }
}

/** The queue at `url` through an SQS client of its own: a queue URL names its endpoint (https://sqs.<region>.amazonaws.com/… in AWS, the local stand-in locally). */
export function sqsVerificationQueue(url: string, region: string): VerificationQueue {
  return new SqsVerificationQueue(new SQSClient({ region, endpoint: new URL(url).origin, maxAttempts: 3 }), url);
}
