import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An HTTP target for the local bus's rules: records what it is POSTed; can go down and come back on the same port. */
export interface Webhook {
  readonly url: string;
  readonly received: Record<string, unknown>[];
  /** Answer status for the next requests (default 200). */
  respondWith(status: (body: Record<string, unknown>) => number): void;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const received: Record<string, unknown>[] = [];
  let status: (body: Record<string, unknown>) => number = () => 200;
  let server: Server | undefined;
  let port = 0;

  const start = async () => {
    server = createServer((request, response) => {
      let text = "";
      request.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      request.on("end", () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        const code = status(body);
        if (code < 300) received.push(body);
        response.writeHead(code).end();
      });
    });
    await new Promise<void>((resolve) => server?.listen(port, "127.0.0.1", () => resolve()));
    port = (server.address() as AddressInfo).port;
  };
  await start();

  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respondWith: (next) => void (status = next),
    start,
    stop: () =>
      new Promise<void>((resolve) => {
        server?.close(() => resolve());
        server?.closeAllConnections();
      }),
  };
}

/** Polls `read` until `done` holds for its value, or fails with the last value seen. */
export async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
