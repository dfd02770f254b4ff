import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";

/** SQS's MaximumMessageSize, which the dead-letter queue keeps (the default): a longer body is refused. */
export const MAX_LETTER_BYTES = 256 * 1024;

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
  /** The history item's key in the table, where the item can be read again. */
  readonly item: { readonly pk: string; readonly sk: string };
  readonly event?: PutEventsRequestEntry;
  /** The history item as the stream carried it, when it could not be turned into an event. */
  readonly image?: Record<string, unknown>;
  /** Set when `event` or `image` was left out because the letter would not fit one SQS message. */
  readonly dropped?: { readonly field: "event" | "image"; readonly letterBytes: number; readonly reason: string };
  readonly failedAt: string;
}

/** The publisher's dead-letter queue (SQS); an alarm watches its depth. */
export class DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: messageBody(letter) }));
  }
}

/**
 * The letter as JSON, without its event or image when it would exceed MAX_LETTER_BYTES: SQS would
 * refuse it, and the stream would hand the record back until it expires. The rest names the item.
 */
function messageBody(letter: DeadLetter): string {
  const body = JSON.stringify(letter);
  const letterBytes = Buffer.byteLength(body, "utf8");
  if (letterBytes <= MAX_LETTER_BYTES) return body;
  const { event, image: _image, ...kept } = letter;
  const field = event ? "event" : "image";
  const reason =
    `With its ${field} the letter was ${letterBytes} bytes, over the ${MAX_LETTER_BYTES} bytes SQS takes: ` +
    `read the history item (item.pk, item.sk) from the table.`;
  return JSON.stringify({ ...kept, dropped: { field, letterBytes, reason } } satisfies DeadLetter);
}
