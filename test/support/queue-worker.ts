import { BroadcastChannel, threadId } from "node:worker_threads";
import { serveInvocations } from "../../infra/local/worker-pool";

/**
 * A local queue's consumer for its worker tests (test/integration/local-queue.test.ts), run in a WorkerPool's
 * worker. Each receive is announced on the `receives` channel; the message's body says what to do:
 * - `exit once`: ends its worker on the first receive (a crashed runtime), takes the message on the next;
 * - `meet`: waits until another task announces itself on the `meet` channel, which only a task
 *   running at the same time can do (or fails after 10 s);
 * - `hold`: says `held` on the `hold` channel, then waits for `release` there;
 * - anything else: takes the message.
 */

const receives = new BroadcastChannel("receives");

serveInvocations("queue-test-consumer", async (event) => {
  for (const record of event.Records) {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    receives.postMessage({ body: record.body, receiveCount, threadId });
    if (record.body === "exit once" && receiveCount === 1) process.exit(1);
    if (record.body === "meet") await meetAnother();
    if (record.body === "hold") await held();
  }
});

/**
 * Announces this task on `meet` and resolves once another task did, answering each announcement
 * it hears, so two tasks meet whichever opened its channel first.
 */
function meetAnother(): Promise<void> {
  const meet = new BroadcastChannel("meet");
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      meet.close();
      reject(new Error("no other task ran meanwhile"));
    }, 10_000);
    meet.onmessage = (message) => {
      if (!(message as MessageEvent).data.reply) meet.postMessage({ threadId, reply: true });
      clearTimeout(timeout);
      meet.close();
      resolve();
    };
    meet.postMessage({ threadId, reply: false });
  });
}

function held(): Promise<void> {
  const hold = new BroadcastChannel("hold");
  return new Promise((resolve) => {
    hold.onmessage = (message) => {
      if ((message as MessageEvent).data !== "release") return;
      hold.close();
      resolve();
    };
    hold.postMessage("held");
  });
}
