import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * One request over a plain TCP socket, written in full (head, then body) before anything is read
 * back, as curl and most HTTP libraries do; resolves with the answer once the server closes the
 * connection. A server that closes while the body is still arriving makes this reject with
 * EPIPE or ECONNRESET, which fetch and node:http sometimes hide by reading the answer early.
 */
export function rawRequest(port: number, head: string, body: Buffer = Buffer.alloc(0)): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("close", (hadError) => {
      if (!hadError) resolve(parse(Buffer.concat(chunks).toString("utf8")));
    });
    socket.write(`${head.trimEnd().split("\n").join("\r\n")}\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.end(body);
  });
}

function parse(text: string): RawResponse {
  const [head = "", body = ""] = text.split(/\r\n\r\n(.*)/s);
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`Not an HTTP/1.1 answer: ${JSON.stringify(text.slice(0, 200))}`);
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
  );
  return { status, headers, body };
}
