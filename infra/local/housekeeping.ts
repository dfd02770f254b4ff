import { randomUUID } from "node:crypto";
import type { Context, ScheduledEvent } from "aws-lambda";

/**
 * Housekeeping under `npm start` (docs/local.md, Housekeeping): the scheduled function's handler,
 * invoked as EventBridge invokes it in AWS, every `everyMs` and on demand. Runs never overlap: one
 * asked for while another is under way starts when it ends. A run that fails is reported and the
 * schedule goes on, as the next scheduled invocation would in AWS.
 */
export interface LocalHousekeeping {
  /** Runs housekeeping once more, after any run under way; settles when that run has ended. */
  runNow(): Promise<void>;
  /** No more runs; settles once a run under way has ended. */
  stop(): Promise<void>;
}

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export function scheduleHousekeeping(options: {
  /** Undefined: only on demand. */
  readonly everyMs: number | undefined;
  readonly handler: () => Promise<ScheduledHandler>;
  readonly onError: (error: unknown) => void;
}): LocalHousekeeping {
  let queue: Promise<void> = Promise.resolve();
  const runNow = () => {
    queue = queue.then(async () => {
      const requestId = randomUUID();
      await (await options.handler())(scheduledEvent(requestId), invocationContext(requestId)).catch(options.onError);
    });
    return queue;
  };
  const timer = options.everyMs === undefined ? undefined : setInterval(() => void runNow(), options.everyMs);
  // The schedule alone never keeps the process alive.
  timer?.unref();
  const stop = () => {
    clearInterval(timer);
    return queue;
  };
  return { runNow, stop };
}

/** EventBridge's "Scheduled Event", as a schedule rule delivers it. */
function scheduledEvent(id: string): ScheduledEvent {
  return {
    version: "0",
    id,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: ["arn:aws:events:us-east-1:000000000000:rule/model-registry-local-housekeeping"],
    detail: {},
  };
}

/** The parts of a Lambda context that the handler and Powertools read. */
function invocationContext(requestId: string): Context {
  return { awsRequestId: requestId, functionName: "model-registry-housekeeping", getRemainingTimeInMillis: () => 600_000 } as Context;
}
