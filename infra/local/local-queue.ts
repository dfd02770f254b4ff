import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/**
 * The local stand-in for an SQS queue with a Lambda consumer (docs/local.md), the way `npm start`
 * runs the verifier: the local bus takes SendMessage for it (./eventbridge.ts), and it hands each
 * message to the consumer as an SQS event of one record, as an event source mapping with batch size 1
 * does; `npm start`'s consumer runs each in a worker thread, as Lambda runs it in an execution
 * environment of its own (./worker-pool.ts).
 *
 * What it implements of SQS and Lambda's event source mapping, and nothing more:
 * - at-least-once delivery: a message the consumer throws on (its worker ending mid-task included),
 *   or reports as a batch item failure, is delivered again after the visibility timeout
 *   (`redeliveryDelayMs`), with its ApproximateReceiveCount counting receives;
 * - a redrive policy: after `maxReceives` receives the message goes to the dead letters (`deadLetter`);
 * - messages delivered side by side, as many at once as the consumer takes (its pool's size).
 * Not done: ReceiveMessage/DeleteMessage (nothing polls it but its consumer; the local bus takes
 * SendMessage and SendMessageBatch for it),
 * delays, FIFO, message attributes, retention, a visibility timeout that runs out while the
 * consumer still works on a message, and persistence: messages still queued when the process
 * stops are lost (docs/local.md says how to start a verification again).
 */

/** Where the queue's messages are handled: Lambda's execution environments (./worker-pool.ts), or a test's stand-in. */
export interface QueueConsumer {
  /** Handles one delivery: throws, or reports a batch item failure, when the message is to be delivered again. */
  // biome-ignore lint/suspicious/noConfusingVoidType: the same return type as aws-lambda's Handler, so a handler returning nothing fits
  invoke(event: SQSEvent): Promise<SQSBatchResponse | undefined | void>;
  /** Frees what it holds (its workers): called once no delivery is under way. */
  close(): Promise<void>;
}

export interface LocalQueueOptions {
  readonly name: string;
  readonly arn: string;
  readonly consumer: QueueConsumer;
  /** Receives before a message is dead-lettered. Default 5. */
  readonly maxReceives?: number;
  /** The visibility timeout: how long a failed message waits before it is delivered again. Default 1 s. */
  readonly redeliveryDelayMs?: number;
  readonly deadLetter: (message: { messageId: string; body: string; receiveCount: number; reason: string }) => Promise<void>;
  readonly log: (line: string) => void;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
}

export class LocalQueue {
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: LocalQueueOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** Accepts a message and delivers it soon after; answers its id, as SendMessage does. */
  send(body: string): string {
    const message: Message = { messageId: randomUUID(), body, sentAt: Date.now(), receiveCount: 0 };
    this.deliverAfter(message, 0);
    return message.messageId;
  }

  /** Resolves once no message is being delivered or waiting to be: for tests and a clean stop. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Delivers no more: messages still queued are dropped (not persisted); once the deliveries under way end, the consumer is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) {
      clearTimeout(timer);
      this.settled();
    }
    this.timers.clear();
    await this.idle();
    await this.options.consumer.close();
  }

  private deliverAfter(message: Message, delayMs: number): void {
    if (this.stopped) return;
    this.inFlight++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(message).finally(() => this.settled());
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(message: Message): Promise<void> {
    message.receiveCount++;
    const failure = await this.consume(message);
    if (failure === undefined) return;
    if (message.receiveCount >= (this.options.maxReceives ?? 5)) {
      this.options.log(`Verification task ${message.messageId} failed ${message.receiveCount} times; dead-lettered: ${failure}`);
      await this.options.deadLetter({
        messageId: message.messageId,
        body: message.body,
        receiveCount: message.receiveCount,
        reason: failure,
      });
      return;
    }
    this.options.log(`Verification task ${message.messageId} failed (receive ${message.receiveCount}); delivering it again: ${failure}`);
    this.deliverAfter(message, this.options.redeliveryDelayMs ?? 1_000);
  }

  /** Why the consumer did not take the message, or undefined when it did. */
  private async consume(message: Message): Promise<string | undefined> {
    try {
      const response = await this.options.consumer.invoke({ Records: [this.record(message)] });
      const failed = response?.batchItemFailures.some((failure) => failure.itemIdentifier === message.messageId);
      return failed ? "reported as a batch item failure" : undefined;
    } catch (error) {
      return String(error);
    }
  }

  private record(message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}#${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: "local",
        ApproximateFirstReceiveTimestamp: String(message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: this.options.arn,
      awsRegion: this.options.arn.split(":")[3] ?? "us-east-1",
    };
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
