import { describe, expect, it } from "vitest";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, main } from "../../client/cli";
import type { Fetch } from "../../client/sdk";
import { useTempFiles } from "../support/temp-files";

const scratch = useTempFiles("registry-cli-exit-codes-");

/** The CLI against a registry that always answers the same way; what it prints is collected. */
async function cliAgainst(answer: () => Promise<Response>, ...argv: string[]) {
  return cliWith({}, answer, ...argv);
}

/** `cliAgainst`, with these environment variables. */
async function cliWith(env: NodeJS.ProcessEnv, answer: () => Promise<Response>, ...argv: string[]) {
  let stderr = "";
  let requests = 0;
  const fetch: Fetch = async () => {
    requests++;
    return answer();
  };
  const io = { stdout: () => {}, stderr: (text: string) => void (stderr += text), interactive: false, env, now: Date.now };
  const code = await main(["--url", "http://registry.test", "--auth", "none", ...argv], io, fetch);
  return { code, stderr, requests };
}

const unavailable = async () =>
  new Response(JSON.stringify({ error: { code: "InternalError", message: "Internal error.", requestId: "req-9" } }), { status: 503 });
const unreachable = async (): Promise<Response> => {
  throw new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") });
};
const notFound = async () =>
  new Response(JSON.stringify({ error: { code: "ModelNotFound", message: "Model 'x' does not exist.", requestId: "req-1" } }), {
    status: 404,
  });

describe("the CLI's exit codes", () => {
  it("exits 3 when the registry answers 5xx, or cannot be reached, after every retry; 2 when it refuses", async () => {
    const [serverError, network, refused] = await Promise.all([
      cliAgainst(unavailable, "models", "list"),
      cliAgainst(unreachable, "models", "list"),
      cliAgainst(notFound, "models", "show", "x"),
    ]);

    expect(serverError).toMatchObject({ code: EXIT.unavailable, requests: 5 });
    expect(serverError.stderr).toContain("503 InternalError");
    expect(network).toMatchObject({ code: EXIT.unavailable, requests: 5 });
    expect(network.stderr).toMatch(/ECONNREFUSED|fetch failed|could not reach/i);
    expect(refused).toMatchObject({ code: EXIT.refused, requests: 1 });
    expect(refused.stderr).toContain("404 ModelNotFound");
  });
});

describe("an answer that is no registry's", () => {
  it.each([
    ["a web page", "<html><body>Sign in to continue</body></html>"],
    ["JSON null", "null"],
  ])("exits 3 when a 200 carries %s, naming the address to check, once and without a stack trace", async (_what, body) => {
    const run = await cliAgainst(async () => new Response(body, { status: 200 }), "models", "show", "x");

    expect(run).toMatchObject({ code: EXIT.unavailable, requests: 1 });
    expect(run.stderr).toContain("The registry at http://registry.test/ answered GET /models/x with 200 and no JSON object");
    expect(run.stderr).toContain("hint: Is a registry running at http://registry.test/?");
  });
});

describe("a JSON object without the fields a command reads", () => {
  it.each([
    [["models", "list"], {}, "GET /models", "items"],
    [["resolve", "models:/fraud_detector/Production"], {}, "GET /resolve", "model"],
    [["pull", "models:/fraud_detector/Production"], {}, "GET /resolve", "model"],
    [
      ["promote", "fraud_detector", "7", "--to", "Staging", "--reason", "ok"],
      { version: 7, from: "None", to: "Staging" },
      "POST /models/fraud_detector/versions/7/transitions",
      "archived",
    ],
  ])("exits 3 when a 200 answers %j with %j, naming the address to check and the missing field", async (argv, body, request, field) => {
    const run = await cliAgainst(async () => new Response(JSON.stringify(body), { status: 200 }), ...argv);

    expect(run).toMatchObject({ code: EXIT.unavailable, requests: 1 });
    expect(run.stderr).toContain(`The registry at http://registry.test/ answered ${request} with 200 and a JSON object without '${field}'`);
    expect(run.stderr).toContain("hint: Is a registry running at http://registry.test/?");
  });
});

describe("a resume journals' directory that is a file", () => {
  it.each([["a file"], ["a directory"]])(
    "exits 1 before any request when pushing %s, naming the file in the way and XDG_CACHE_HOME, discarding no journal",
    async (what) => {
      const cacheHome = join(scratch.dir(), `cache-of-${what.replace(" ", "-")}`);
      await writeFile(cacheHome, "not a directory");
      const model = join(scratch.dir(), `model-${what.replace(" ", "-")}`);
      await mkdir(model);
      await writeFile(join(model, "weights.bin"), "weights");
      const pushed = what === "a file" ? join(model, "weights.bin") : model;

      const run = await cliWith({ XDG_CACHE_HOME: cacheHome }, unavailable, "push", pushed, "--model", "fraud_detector");

      expect(run).toMatchObject({ code: EXIT.usage, requests: 0 });
      expect(run.stderr).not.toContain("Discarding");
      expect(run.stderr).toContain(
        `error: Resume journals go in ${join(cacheHome, "model-registry", "uploads")}, but ${cacheHome} is a file, not a directory: ` +
          "move it away, or set XDG_CACHE_HOME to a directory (journals go in $XDG_CACHE_HOME/model-registry/uploads, else ~/.cache/model-registry/uploads).\n",
      );
    },
  );
});
