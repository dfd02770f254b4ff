import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { BroadcastChannel } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import type { SQSEvent } from "aws-lambda";
import { LocalQueue, type QueueConsumer } from "../../infra/local/local-queue";
import { WorkerPool, type QueueHandler } from "../../infra/local/worker-pool";

/** A consumer that runs `handler` in this thread. */
const inThisThread = (handler: (event: SQSEvent) => ReturnType<QueueHandler>): QueueConsumer => ({
  invoke: handler,
  close: async () => undefined,
});

/** A queue over `consumer` that keeps its dead letters and log lines; redelivery without waiting. */
function queueOver(consumer: QueueConsumer) {
  const deadLetters: { body: string; receiveCount: number; reason: string }[] = [];
  const log: string[] = [];
  const queue = new LocalQueue({
    name: "verification",
    arn: "arn:aws:sqs:us-east-1:000000000000:verification",
    consumer,
    maxReceives: 3,
    redeliveryDelayMs: 0,
    deadLetter: async ({ body, receiveCount, reason }) => void deadLetters.push({ body, receiveCount, reason }),
    log: (line) => void log.push(line),
  });
  return { queue, deadLetters, log };
}

describe("the local queue: at-least-once delivery to its consumer, redelivery, dead letters", () => {
  it("delivers a message as an SQS event of one record, again after a failure, counting receives", async () => {
    const received: SQSEvent["Records"] = [];
    const { queue, deadLetters } = queueOver(
      inThisThread(async (event) => {
        received.push(...event.Records);
        if (received.length < 3) throw new Error("task failed");
      }),
    );

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
    const { queue, deadLetters } = queueOver(
      inThisThread(async (event) => {
        receives++;
        return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
      }),
    );

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
      consumer: inThisThread(async () => {
        receives++;
        throw new Error("task failed");
      }),
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

const CONSUMER = new URL("../support/queue-worker.ts", import.meta.url);

describe("the local queue's consumer in workers, as Lambda runs each delivery in an execution environment", () => {
  const receives: { body: string; receiveCount: number; threadId: number }[] = [];
  const channel = new BroadcastChannel("receives");
  channel.onmessage = (message) => void receives.push((message as MessageEvent).data);
  const pools: WorkerPool[] = [];
  const workers = (size: number) => {
    const pool = new WorkerPool({ script: CONSUMER, size });
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
    receives.splice(0);
  });

  it("delivers a message again, to a fresh worker, when its worker ended mid-task", async () => {
    const { queue, deadLetters, log } = queueOver(workers(1));

    queue.send("exit once");
    await queue.idle();

    await expect.poll(() => receives.map(({ receiveCount }) => receiveCount)).toEqual([1, 2]);
    expect(receives[0]?.threadId).not.toBe(receives[1]?.threadId);
    expect(log).toEqual([
      expect.stringMatching(/failed \(receive 1\); delivering it again: .*worker ended mid-invocation: it exited with code 1/),
    ]);
    expect(deadLetters).toEqual([]);
  });

  it("runs two tasks at once, each in a worker of its own: each waits until the other has started", async () => {
    const { queue, deadLetters, log } = queueOver(workers(2));

    queue.send("meet");
    queue.send("meet");
    await queue.idle();

    expect(log).toEqual([]);
    expect(deadLetters).toEqual([]);
    await expect.poll(() => receives.map(({ receiveCount }) => receiveCount)).toEqual([1, 1]);
    expect(receives[0]?.threadId).not.toBe(receives[1]?.threadId);
  });

  it("runs the tasks beyond its size in turn, in the workers it has", async () => {
    const { queue, log } = queueOver(workers(2));

    for (let i = 0; i < 6; i++) queue.send(`task ${i}`);
    await queue.idle();

    expect(log).toEqual([]);
    await expect.poll(() => receives.length).toBe(6);
    expect(new Set(receives.map(({ threadId }) => threadId)).size).toBeLessThanOrEqual(2);
  });

  it("stops once the delivery under way has ended with its answer, not by ending its worker", async () => {
    const hold = new BroadcastChannel("hold");
    const held = new Promise<void>((resolve) => {
      hold.onmessage = (message) => (message as MessageEvent).data === "held" && resolve();
    });
    const { queue, log } = queueOver(workers(1));
    queue.send("hold");
    await held;

    const stopped = queue.stop();
    hold.postMessage("release");
    await stopped;
    hold.close();

    expect(log).toEqual([]);
  });

  it("leaves no worker running once stopped: the process exits by itself", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../support/stopped-queue.ts", import.meta.url))], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    const deadline = setTimeout(() => child.kill(), 20_000);
    const [code, signal] = await once(child, "exit");
    clearTimeout(deadline);

    expect({ code, signal, output }).toEqual({ code: 0, signal: null, output: "stopped\n" });
  }, 30_000);
});
