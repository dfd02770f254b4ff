import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
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
