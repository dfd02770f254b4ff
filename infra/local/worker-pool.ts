import { availableParallelism } from "node:os";
import { parentPort, Worker } from "node:worker_threads";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";

/**
 * Lambda's execution environments for a local queue's consumer (./local-queue.ts): each delivery
 * runs in a worker thread, beside the thread that serves the API, s3rver and the local bus, as each
 * SQS delivery runs in a Lambda process of its own in AWS. What it does of Lambda, and nothing more:
 * - a worker loads the consumer's module (`script`, which calls serveInvocations) once, a cold start,
 *   then serves one invocation at a time, warm, as an execution environment does;
 * - at most `size` invocations run at once (default: the CPU count), as a reserved concurrency would
 *   have it; the others wait, in the order they came;
 * - a worker that ends mid-invocation (an uncaught error, `process.exit`, out of memory) fails that
 *   invocation, as a runtime that crashes fails a Lambda invocation; the next one gets a fresh worker;
 * - close() ends every worker, so the process can exit.
 * Not done: the function's timeout (an invocation runs as long as it takes) and memory size,
 * freezing idle workers, retiring them after a while.
 */

// biome-ignore lint/suspicious/noConfusingVoidType: the same return type as aws-lambda's Handler, so a handler returning nothing fits
export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined | void>;

/** What a worker answers an invocation with. */
type Answer = { readonly response?: SQSBatchResponse } | { readonly error: string };

export interface WorkerPoolOptions {
  /** The worker's module: TypeScript sources load through tsx, a bundle as it is. */
  readonly script: URL;
  /** Invocations at once. Default: the CPU count. */
  readonly size?: number;
}

export class WorkerPool {
  private readonly size: number;
  private readonly all = new Set<Environment>();
  private readonly idle: Environment[] = [];
  private readonly waiting: ((environment: Environment) => void)[] = [];
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.size = options.size ?? availableParallelism();
  }

  /** Runs the handler on `event` in a worker: its answer, or a rejection when it threw or its worker ended. */
  async invoke(event: SQSEvent): Promise<SQSBatchResponse | undefined> {
    const environment = await this.take();
    const answer = await environment.invoke(event);
    if (!environment.ended) this.giveBack(environment);
    if ("error" in answer) throw new Error(answer.error);
    return answer.response;
  }

  /** Ends every worker, busy or not: the queue calls it once no delivery is under way. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((environment) => environment.end()));
  }

  private take(): Promise<Environment> {
    const warm = this.idle.pop();
    if (warm) return Promise.resolve(warm);
    if (this.all.size < this.size) return Promise.resolve(this.start());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private giveBack(environment: Environment): void {
    const next = this.waiting.shift();
    if (next) next(environment);
    else this.idle.push(environment);
  }

  private start(): Environment {
    const environment = new Environment(this.options.script, () => this.lost(environment));
    this.all.add(environment);
    return environment;
  }

  /** A worker ended: its place goes to the next invocation waiting, in a fresh worker. */
  private lost(environment: Environment): void {
    this.all.delete(environment);
    const at = this.idle.indexOf(environment);
    if (at >= 0) this.idle.splice(at, 1);
    const next = this.waiting.shift();
    if (next && !this.closed) next(this.start());
  }
}

/** One worker: its invocation under way, if any, ends with its answer or with the worker. */
class Environment {
  private readonly worker: Worker;
  private pending?: (answer: Answer) => void;
  ended = false;

  constructor(script: URL, onEnd: () => void) {
    this.worker = startWorker(script);
    this.worker.on("message", (answer: Answer) => this.answer(answer));
    const endWith = (reason: string) => {
      if (this.ended) return;
      this.ended = true;
      this.answer({ error: `The consumer's worker ended mid-invocation: ${reason}` });
      onEnd();
    };
    this.worker.on("error", (error) => endWith(String(error)));
    this.worker.on("exit", (code) => endWith(`it exited with code ${code}`));
  }

  invoke(event: SQSEvent): Promise<Answer> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.worker.postMessage(event);
    });
  }

  async end(): Promise<void> {
    await this.worker.terminate();
  }

  private answer(answer: Answer): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(answer);
  }
}

/**
 * A worker running `script`. Node 20 gives a worker none of the main thread's module hooks, so a
 * TypeScript module is loaded through tsx's hooks, registered in the worker first.
 */
function startWorker(script: URL): Worker {
  if (!script.pathname.endsWith(".ts")) return new Worker(script);
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true });
}

/** In a WorkerPool's worker: answers each invocation with `handler`'s response, or the error it threw, as function `functionName`. */
export function serveInvocations(functionName: string, handler: QueueHandler): void {
  const port = parentPort;
  if (!port) throw new Error("serveInvocations serves a WorkerPool: run it in a worker thread.");
  port.on("message", async (event: SQSEvent) => {
    try {
      port.postMessage({ response: (await handler(event, invocationContext(functionName, event))) ?? undefined } satisfies Answer);
    } catch (error) {
      port.postMessage({ error: String(error) } satisfies Answer);
    }
  });
}

/** The parts of a Lambda context that the verifier and Powertools read: the request id is the message's. */
function invocationContext(functionName: string, event: SQSEvent): Context {
  const requestId = event.Records[0]?.messageId ?? "local";
  return { awsRequestId: requestId, functionName, getRemainingTimeInMillis: () => 900_000 } as Context;
}
