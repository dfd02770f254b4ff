import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";

/**
 * What the publisher could not put on the bus. `event` is the PutEvents entry as it was sent, so
 * redriving is `aws events put-events --entries "$(jq -c '[.event]' <<< "$body")"`.
 */
export interface DeadLetter {
  readonly reason: "PutEventsFailed" | "MalformedHistoryItem";
  readonly error: { readonly code: string; readonly message: string };
  readonly attempts: number;
  /** The stream record the event came from. */
  readonly record: { readonly eventID?: string; readonly sequenceNumber?: string; readonly eventSourceARN?: string };
  readonly event?: PutEventsRequestEntry;
  /** The history item as the stream carried it, when it could not be turned into an event. */
  readonly image?: Record<string, unknown>;
  readonly failedAt: string;
}

/** The publisher's dead-letter queue (SQS); an alarm watches its depth. */
export class DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(letter) }));
  }
}
