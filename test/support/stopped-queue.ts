import { LocalQueue } from "../../infra/local/local-queue";
import { WorkerPool } from "../../infra/local/worker-pool";

/**
 * A process that delivers one message to a worker, then stops its queue and does nothing more: it
 * exits by itself only if no worker is left running (test/integration/local-queue.test.ts).
 */
const queue = new LocalQueue({
  name: "verification",
  arn: "arn:aws:sqs:us-east-1:000000000000:verification",
  consumer: new WorkerPool({ script: new URL("./queue-worker.ts", import.meta.url), size: 2 }),
  deadLetter: async () => undefined,
  log: (line) => console.error(line),
});
queue.send("task");
await queue.idle();
await queue.stop();
console.log("stopped");
