import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { startGateway, type RunningGateway } from "../../infra/local/gateway";
import { banner, type LocalRegistry } from "../../infra/local/start";
import { bearerTokenResolver, loadTokensFile, roleBindingsFor, type LocalTokens } from "../../infra/local/tokens";
import { rolesOf } from "../../shared/domain/permissions";
import { rawRequest } from "../support/raw-http";
import { useTempFiles } from "../support/temp-files";

const TOKENS = {
  tokens: {
    "alice-token": { principal: "local:alice", roles: ["reader", "publisher"] },
    "alice-laptop": { principal: "local:alice", roles: ["publisher", "reader"] },
    "bob-token": { principal: "local:bob", roles: ["reader"] },
    "release-bot": { principal: "local:release-bot", roles: ["reader", "promoter", "admin"] },
  },
};

const temp = useTempFiles("registry-tokens-");
const tokensFile = temp.write;

describe("the local tokens file", () => {
  it("binds each principal to exactly its roles, and nothing else to any role", async () => {
    const tokens = await loadTokensFile(await tokensFile(TOKENS));

    const bindings = roleBindingsFor(tokens);

    expect(bindings).toEqual([
      { pattern: "local:alice", roles: ["reader", "publisher"] },
      { pattern: "local:bob", roles: ["reader"] },
      { pattern: "local:release-bot", roles: ["reader", "promoter", "admin"] },
    ]);
    expect(rolesOf("local:bob", bindings)).toEqual(["reader"]);
    expect(rolesOf("local:alice", bindings)).toEqual(["reader", "publisher"]);
    expect(rolesOf("local:mallory", bindings)).toEqual([]);
    expect(rolesOf("local:bob2", bindings)).toEqual([]);
  });

  it.each([
    ["is not JSON", "{tokens:", "is not JSON"],
    ["names an unknown role", { tokens: { t: { principal: "local:a", roles: ["owner"] } } }, "tokens.t.roles.0"],
    ["gives a wildcard principal", { tokens: { t: { principal: "local:*", roles: ["reader"] } } }, "may not contain '*'"],
    [
      "gives one principal two role sets",
      { tokens: { t1: { principal: "local:a", roles: ["reader"] }, t2: { principal: "local:a", roles: ["admin"] } } },
      "different roles",
    ],
  ])("is refused in one line naming the file when it %s", async (_, content, problem) => {
    const file = await tokensFile(content);

    const refusal = loadTokensFile(file);

    await expect(refusal).rejects.toThrow(problem);
    await expect(refusal).rejects.toThrow(file);
  });

  it("is refused when it cannot be read", async () => {
    await expect(loadTokensFile(join(temp.dir(), "absent.json"))).rejects.toThrow("cannot be read (ENOENT): check the path");
  });
});

describe("the gateway with a tokens file", () => {
  let gateway: RunningGateway;
  let tokens: LocalTokens;
  const events: APIGatewayProxyEventV2WithIAMAuthorizer[] = [];

  beforeAll(async () => {
    tokens = await loadTokensFile(await tokensFile(TOKENS));
    gateway = await startGateway({
      port: 0,
      quiet: true,
      resolveActor: bearerTokenResolver(tokens),
      loadHandler: async () => async (event) => {
        events.push(event);
        return { statusCode: 200, body: "{}" };
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it("hands the handler the token's principal as the verified caller", async () => {
    events.length = 0;

    const response = await fetch(`${gateway.url}/models`, { headers: { authorization: "Bearer bob-token" } });

    expect(response.status).toBe(200);
    expect(events.map((e) => e.requestContext.authorizer.iam.userArn)).toEqual(["local:bob"]);
  });

  it.each([
    ["no Authorization header", {}],
    ["an unknown token", { authorization: "Bearer guessed" }],
    ["another scheme", { authorization: "Basic Ym9iOnNlY3JldA==" }],
  ])("answers 401 Unauthorized, without calling a handler, to %s, saying what to send and naming no server path", async (_, headers) => {
    events.length = 0;

    const response = await fetch(`${gateway.url}/models`, { headers });
    const body = (await response.json()) as { message: string; error: { code: string; message: string } };

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="model-registry"');
    expect(body.message).toBe("Unauthorized");
    expect(body.error.code).toBe("Unauthorized");
    expect(body.error.message).toContain(
      "send the header 'Authorization: Bearer <token>' with a token from the tokens file this registry was started with",
    );
    expect(body.error.message).not.toContain(temp.dir());
    expect(events).toHaveLength(0);
  });

  it.each([
    ["an unknown path", "GET /no/such/route HTTP/1.1", undefined],
    ["a method no route takes", "DELETE /models HTTP/1.1", undefined],
    ["CONNECT", "CONNECT example.com:443 HTTP/1.1", undefined],
    ["a malformed path", "GET /models/%E0%A4%A HTTP/1.1", undefined],
    ["an 11 MiB body", "POST /models HTTP/1.1", Buffer.alloc(11 * 1024 * 1024, "x")],
  ])("answers 401 before telling a caller without a token anything about %s", async (_, requestLine, body) => {
    events.length = 0;

    const response = await rawRequest(gateway.port, `${requestLine}\nHost: localhost`, body);

    expect(response.status).toBe(401);
    expect(events).toHaveLength(0);
  });
});

describe("npm start's banner", () => {
  const registry = (files: { tokensFile?: string; credentialsFile?: string }): LocalRegistry => ({
    url: "http://127.0.0.1:3000",
    dataDir: ".registry",
    actor: "local:ada",
    ...files,
    engines: { dynamodb: "http://127.0.0.1:8000", s3: "http://127.0.0.1:9000" },
    events: { endpoint: "http://127.0.0.1:9100", log: "events.jsonl", rules: "rules.json", deadLetters: "dead-letters.jsonl" },
    verifications: { idle: async () => {} },
    housekeeping: { runNow: async () => {}, everyMinutes: 60 },
    stop: async () => {},
  });
  const curlLines = (text: string) => text.split("\n").filter((line) => line.trimStart().startsWith("curl "));

  it("shows first requests that authenticate as the registry's callers must", () => {
    const open = curlLines(banner(registry({})));
    const withTokens = curlLines(banner(registry({ tokensFile: "docs/local-tokens.json" })));
    const withKeys = curlLines(banner(registry({ credentialsFile: "credentials.json" })));

    expect(open).toHaveLength(3);
    expect(open.filter((line) => /Authorization|aws-sigv4/.test(line))).toEqual([]);
    expect(withTokens.filter((line) => line.includes("curl -s -H 'Authorization: Bearer <token>' "))).toHaveLength(3);
    expect(
      withKeys.filter((line) =>
        line.includes("curl -s --aws-sigv4 'aws:amz:us-east-1:execute-api' --user '<access key id>:<secret access key>' "),
      ),
    ).toHaveLength(3);
  });
});
