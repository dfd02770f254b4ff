import { type Agent, request } from "node:http";

/** One JSON request over `agent`; resolves with the parsed answer, rejects on a non-2xx status. */
export function sendJson(agent: Agent, url: string, method: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, agent }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () =>
        (response.statusCode ?? 500) < 300
          ? resolve(JSON.parse(text))
          : reject(new Error(`${method} ${url} → ${response.statusCode} ${text}`)),
      );
    });
    outgoing.on("error", reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
