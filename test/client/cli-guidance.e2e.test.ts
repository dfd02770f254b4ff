import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { EXIT, main } from "../../client/cli";
import { RegistryUnavailableError } from "../../client/errors";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { useTempFiles } from "../support/temp-files";

/** A newcomer's mistakes: each error says what happened and what to do, in the CLI's own terms, with its documented exit code. */

const repoRoot = resolve(import.meta.dirname, "../..");
const scratch = useTempFiles("registry-cli-guidance-");

/** The CLI's `main` against a registry answering `answer` (or the real network without one); stdout and stderr collected. */
async function cli(argv: string[], answer?: Fetch, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  let requests = 0;
  const fetch: Fetch | undefined = answer
    ? async (...args) => {
        requests++;
        return answer(...args);
      }
    : undefined;
  const io = {
    stdout: (t: string) => void (stdout += t),
    stderr: (t: string) => void (stderr += t),
    interactive: false,
    env,
    now: Date.now,
  };
  const code = await main(argv, io, fetch);
  return { code, stdout, stderr, requests };
}

const refusal =
  (status: number, code: string, details?: unknown): Fetch =>
  async () =>
    new Response(JSON.stringify({ error: { code, message: `${code} happened.`, details, requestId: "req-1" } }), { status });

/** A TCP server that takes connections and never answers them: a wrong service on the port, a registry stuck. */
let silent: Server;
const sockets = new Set<Socket>();
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await once(silent.listen(0, "127.0.0.1"), "listening");
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((done) => silent.close(done));
});
const silentUrl = () => {
  const address = silent.address();
  if (address === null || typeof address === "string") throw new Error("the silent server has no port");
  return `http://127.0.0.1:${address.port}`;
};

describe("the registry's address", () => {
  it.each([
    ["--url", "127.0.0.1:3000"],
    ["--url", "localhost:3000"],
    ["--url", "ftp://127.0.0.1:3000"],
  ])("refuses %s %s before any request, exit 1, saying to write the scheme", async (flag, url) => {
    const run = await cli([flag, url, "models", "list"], refusal(500, "Never"));

    expect(run).toMatchObject({ code: EXIT.usage, requests: 0 });
    expect(run.stderr).toContain(`--url '${url}' is not a registry URL: write it with its scheme, e.g. http://127.0.0.1:3000`);
  });

  it("names REGISTRY_URL when the bad address comes from there", async () => {
    const run = await cli(["models", "list"], refusal(500, "Never"), { REGISTRY_URL: "127.0.0.1:3000" });

    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain("REGISTRY_URL '127.0.0.1:3000' is not a registry URL");
  });

  it("refuses a URL carrying a password before any request, exit 1, without printing the password", async () => {
    const run = await cli(["--url", "https://ci:s3cret@registry.example.com", "models", "list"], refusal(500, "Never"));

    expect(run).toMatchObject({ code: EXIT.usage, requests: 0 });
    expect(run.stderr).toContain("--url carries a user name or password (…@registry.example.com): a registry URL has none;");
    expect(run.stderr).not.toContain("s3cret");
  });

  it("says which address gave no answer and to start a registry there, exit 3", async () => {
    const unreachable: Fetch = async () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:3999") });
    };
    const run = await cli(["--url", "http://127.0.0.1:3999", "models", "list"], unreachable);

    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr).toContain("No answer from the registry at http://127.0.0.1:3999/ after 5 attempts: connect ECONNREFUSED");
    expect(run.stderr).toContain(
      "hint: Is a registry running at http://127.0.0.1:3999/? Start one with npm start (PORT=3999 for this port)",
    );
  });

  it("gives up on an attempt the server never answers, and fails as unavailable instead of waiting for ever", async () => {
    const client = createRegistryClient({
      url: silentUrl(),
      auth: { type: "none" },
      retry: { attempts: 2, answerTimeoutMs: 200, sleep: async () => {} },
    });

    const failure = await client.listModels().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RegistryUnavailableError);
    expect((failure as RegistryUnavailableError).message).toContain("after 2 attempts: no answer within 0.2 s");
    expect((failure as RegistryUnavailableError).registryUrl?.href).toBe(`${silentUrl()}/`);
  });
});

describe("refusals, with what to do in the CLI's terms", () => {
  it("a 401 says how the CLI sends a token or signs", async () => {
    const run = await cli(["--url", "http://registry.test", "models", "list"], refusal(401, "Unauthorized"));

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toContain("401 Unauthorized: Unauthorized happened.");
    expect(run.stderr).toContain(
      "hint: The CLI sends a token of the tokens file with --token <token> or REGISTRY_TOKEN, or signs with --auth sigv4",
    );
  });

  it("a 403 Forbidden says where the caller's missing role is given, locally and in AWS", async () => {
    const forbidden = refusal(403, "Forbidden", { missingRole: "promoter", roles: ["reader", "publisher"] });

    const run = await cli(
      ["--url", "http://registry.test", "promote", "fraud_detector", "7", "--to", "Staging", "--reason", "r"],
      forbidden,
    );

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toContain("hint: The caller's roles come from the tokens or credentials file npm start was given");
    expect(run.stderr).toContain("give it the 'promoter' role there");
  });

  it("a 409 StageConflict says which --expect-current the stage holds now", async () => {
    const conflict = refusal(409, "StageConflict", { stage: "Production", expected: null, actual: 6 });
    const emptied = refusal(409, "StageConflict", { stage: "Production", expected: 6, actual: null });

    const [held, empty] = await Promise.all([
      cli(["--url", "http://registry.test", "promote", "fraud_detector", "7", "--to", "Production", "--reason", "r"], conflict),
      cli(["--url", "http://registry.test", "promote", "fraud_detector", "7", "--to", "Production", "--reason", "r"], emptied),
    ]);

    expect(held.code).toBe(EXIT.refused);
    expect(held.stderr).toContain("hint: If you still mean to replace it, promote again with --expect-current 6.");
    expect(empty.stderr).toContain("promote again with --expect-current none.");
  });

  it("pulling a version still waiting for its bytes says to run the interrupted push again", async () => {
    const notReady = refusal(409, "VersionNotReady", { version: 2, status: "PENDING_UPLOAD" });

    const run = await cli(["--url", "http://registry.test", "pull", "models:/fraud_detector/2"], notReady);

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toContain(
      "hint: registry versions show <model> <version> shows where it stands; a push that was interrupted finishes",
    );
  });

  it.each([
    [
      ["models", "show", "x"],
      404,
      "ModelNotFound",
      "hint: registry models list lists the models; registry push or registry register creates one",
    ],
    [["versions", "show", "fraud_detector", "99"], 404, "VersionNotFound", "hint: registry versions list <model> lists its versions."],
    [["resolve", "models:/fraud_detector/Staging"], 404, "StageEmpty", "hint: registry promote <model> <version> --to <stage>"],
    [["resolve", "models:/fraud_detector@champion"], 404, "AliasNotFound", "hint: registry alias set <model> <alias> <version>"],
    [["models", "create", "fraud_detector"], 409, "ModelAlreadyExists", "hint: registry push or registry register adds a version"],
    [["models", "list"], 404, "RouteNotFound", "hint: --url (or REGISTRY_URL) names the registry's root, without a path"],
  ])("%j answered %i %s names the command to run, not the route to call", async (argv, status, code, hint) => {
    const run = await cli(["--url", "http://registry.test", ...argv], refusal(status, code));

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toContain(hint);
  });

  it("a 409 AliasConflict says which --expect the alias holds now", async () => {
    const conflict = refusal(409, "AliasConflict", { alias: "champion", expected: 6, actual: 7 });

    const run = await cli(["--url", "http://registry.test", "alias", "set", "fraud_detector", "champion", "8", "--expect", "6"], conflict);

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).toContain("--expect 7 moves it from where it is now, and registry alias rm <model> <alias> removes it");
  });

  it("a file that is not there is named with the path to check, exit 1, before any request", async () => {
    const run = await cli(
      ["--url", "http://registry.test", "push", "./no-such-model.bin", "--model", "fraud_detector"],
      refusal(500, "Unexpected"),
    );

    expect(run).toMatchObject({ code: EXIT.usage, requests: 0 });
    expect(run.stderr).toContain(`hint: Check the path ${resolve("no-such-model.bin")} and the folders on its way`);
  });

  it("a usage error with --json prints one JSON document on stdout too, exit 1", async () => {
    const run = await cli(["--url", "http://registry.test", "--json", "promote", "fraud_detector", "1", "--to", "Prod", "--reason", "r"]);

    expect(run).toMatchObject({ code: EXIT.usage, requests: 0 });
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        code: "UsageError",
        message: expect.stringContaining("'Prod' is invalid. Allowed choices are Staging, Production, Archived"),
      },
    });
  });

  it("a refusal that says what to do already gets no hint", async () => {
    const run = await cli(["--url", "http://registry.test", "models", "show", "x"], refusal(409, "SemverConflict"));

    expect(run.code).toBe(EXIT.refused);
    expect(run.stderr).not.toContain("hint:");
  });
});

describe("push", () => {
  it.each([["file"], ["directory"]])("refuses a model name the registry would refuse before reading a %s, exit 1", async (kind) => {
    const path = kind === "file" ? join(scratch.dir(), "weights.bin") : scratch.dir();
    await writeFile(join(scratch.dir(), "weights.bin"), "weights");

    const run = await cli(["--url", "http://registry.test", "push", path, "--model", "Fraud Detector"], refusal(500, "Never"));

    expect(run).toMatchObject({ code: EXIT.usage, requests: 0 });
    expect(run.stderr).toContain("error: 'Fraud Detector' is not a model name: a model name is lowercase letters and digits");
    expect(run.stderr).not.toContain("hashing");
  });
});

describe("history", () => {
  it("names the alias an entry moved or removed, and the versions it pointed to", async () => {
    const entry = { eventId: "e", actor: "local:ada", occurredAt: "2026-01-01T00:00:00.000Z", requestId: "r" };
    const page: Fetch = async () =>
      Response.json({
        items: [
          { ...entry, sequence: 3, action: "ALIAS_CHANGED", alias: "champion", previousVersion: 2 },
          { ...entry, sequence: 2, action: "ALIAS_CHANGED", alias: "champion", version: 2, previousVersion: 1 },
          { ...entry, sequence: 1, action: "ALIAS_CHANGED", alias: "champion", version: 1 },
        ],
      });

    const run = await cli(["--url", "http://registry.test", "history", "fraud_detector"], page);

    expect(run.stdout.split("\n").filter(Boolean)).toEqual([
      "#3 2026-01-01T00:00:00.000Z ALIAS_CHANGED @champion version 2 → none  by local:ada",
      "#2 2026-01-01T00:00:00.000Z ALIAS_CHANGED @champion version 1 → version 2  by local:ada",
      "#1 2026-01-01T00:00:00.000Z ALIAS_CHANGED @champion none → version 1  by local:ada",
    ]);
  });
});

describe("the registry process", () => {
  /** `registry <argv>` as a process, from the sources as the bin runs them, with only the environment given. */
  const registryProcess = (argv: string[], env: NodeJS.ProcessEnv) =>
    spawn(process.execPath, ["--import", "tsx", "client/bin.ts", ...argv], { cwd: repoRoot, env: { PATH: process.env.PATH, ...env } });

  it("SigV4 without AWS credentials is a usage error saying which variables to set, not a crash", async () => {
    const run = await promisify(execFile)(process.execPath, ["--import", "tsx", "client/bin.ts", "--auth", "sigv4", "models", "list"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: scratch.dir(),
        AWS_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
        REGISTRY_URL: silentUrl(),
      },
    }).catch((failed: { code: number; stderr: string }) => failed);

    expect(run).toMatchObject({ code: EXIT.usage });
    expect(run.stderr).toContain("error: SigV4 found no AWS credentials");
    expect(run.stderr).toContain("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("Ctrl-C during a push says that running it again resumes, and exits 130", async () => {
    const file = join(scratch.dir(), "model.bin");
    await writeFile(file, "weights");
    const push = registryProcess(["--url", silentUrl(), "push", file, "--model", "fraud_detector"], { HOME: scratch.dir() });
    let stderr = "";
    push.stderr.setEncoding("utf8");
    const registering = new Promise<void>((registered) =>
      push.stderr.on("data", (text: string) => {
        stderr += text;
        if (stderr.includes("registering…")) registered();
      }),
    );
    const exited = once(push, "exit");

    await registering;
    push.kill("SIGINT");
    const [code, signal] = await exited;

    expect({ code, signal }).toEqual({ code: EXIT.interrupted, signal: null });
    expect(stderr).toContain("Interrupted: run the same registry push again, it resumes where this one stopped.");
  });

  it("ends quietly with its own exit code when the program reading its output has gone (a closed pipe)", async () => {
    const version = registryProcess(["--version"], { HOME: scratch.dir() });
    version.stdout.destroy();
    let stderr = "";
    version.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });

    const [code] = await once(version, "exit");

    expect(stderr).toBe("");
    expect(code).toBe(EXIT.ok);
  });

  it("Ctrl-C during a pull leaves no partial file in the output directory, and exits 130", async () => {
    const output = join(scratch.dir(), "serving");
    await mkdir(output);
    const registry = await objectNeverServed();
    try {
      const pull = registryProcess(["--url", registry.url, "pull", "models:/fraud_detector/1", "-o", `${output}/`], {
        HOME: scratch.dir(),
      });
      const exited = once(pull, "exit");

      await registry.objectAsked;
      pull.kill("SIGINT");
      const [code] = await exited;

      expect(code).toBe(EXIT.interrupted);
      expect(await readdir(output)).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});

/**
 * A registry whose version 1 of fraud_detector is one file at a presigned URL it never answers:
 * `objectAsked` settles once the pull has its temporary file open and waits for the bytes.
 */
async function objectNeverServed() {
  let asked: () => void = () => {};
  const objectAsked = new Promise<void>((resolve) => {
    asked = resolve;
  });
  const answer = (response: ServerResponse, body: object) =>
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  const server = createHttpServer((request, response) => {
    if (request.url?.startsWith("/resolve"))
      return answer(response, { model: "fraud_detector", version: 1, uri: "models:/fraud_detector/1" });
    if (request.url?.startsWith("/models/"))
      return answer(response, { url: `${url}/object`, filename: "model.bin", sizeBytes: 1024, sha256: "0".repeat(64) });
    asked();
  });
  await once(server.listen(0, "127.0.0.1"), "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise((closed) => server.close(closed));
  };
  return { url, objectAsked, close };
}
