import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { request as httpRequest } from "node:http";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { createRouter, defaultActor, requestTime, startGateway, type LambdaHandler, type RunningGateway } from "../../infra/local/gateway";
import { routes, type FunctionName, type RouteDefinition } from "../../shared/routes";
import { rawRequest } from "../support/raw-http";

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly requestId?: string };
}

interface Invocation {
  readonly fn: FunctionName;
  readonly event: APIGatewayProxyEventV2WithIAMAuthorizer;
  readonly context: Context;
}

describe("local gateway", () => {
  const invocations: Invocation[] = [];
  const loads: FunctionName[] = [];
  const logged: string[] = [];
  let respond: (event: APIGatewayProxyEventV2WithIAMAuthorizer) => Promise<APIGatewayProxyResultV2 | undefined>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      actor: "local:tester",
      quiet: true,
      log: (line) => logged.push(line),
      logError: () => undefined,
      loadHandler: async (fn): Promise<LambdaHandler> => {
        loads.push(fn);
        return async (event, context) => {
          invocations.push({ fn, event, context });
          return respond(event);
        };
      },
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  beforeEach(() => {
    invocations.length = 0;
    respond = async () => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ ok: true }) });
  });

  const lastEvent = () => {
    expect(invocations).toHaveLength(1);
    return (invocations[0] as Invocation).event;
  };

  it("builds a payload 2.0 event with the route table's routeKey, decoded path parameters and the local IAM caller", async () => {
    // Act
    const response = await fetch(`${gateway.url}/models/fraud_detector/versions/v1.2.0`, { headers: { "user-agent": "unit-test" } });

    // Assess
    expect(response.status).toBe(200);
    const event = lastEvent();
    expect(invocations[0]?.fn).toBe("query");
    expect(event.version).toBe("2.0");
    expect(event.routeKey).toBe("GET /models/{name}/versions/{v}");
    expect(event.rawPath).toBe("/models/fraud_detector/versions/v1.2.0");
    expect(event.rawQueryString).toBe("");
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.pathParameters).toEqual({ name: "fraud_detector", v: "v1.2.0" });
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
    const ctx = event.requestContext;
    expect(ctx.accountId).toBe("000000000000");
    expect(ctx.apiId).toBe("local");
    expect(ctx.stage).toBe("$default");
    expect(ctx.routeKey).toBe("GET /models/{name}/versions/{v}");
    expect(ctx.http).toMatchObject({
      method: "GET",
      path: "/models/fraud_detector/versions/v1.2.0",
      protocol: "HTTP/1.1",
      sourceIp: "127.0.0.1",
      userAgent: "unit-test",
    });
    expect(ctx.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.timeEpoch).toBeGreaterThan(Date.now() - 60_000);
    expect(ctx.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(ctx.authorizer.iam).toMatchObject({
      userArn: "local:tester",
      accountId: "000000000000",
      principalOrgId: null,
      cognitoIdentity: null,
    });
    expect(response.headers.get("apigw-requestid")).toBe(ctx.requestId);
  });

  it("hands the handler a Lambda context with a request id and remaining time", async () => {
    await fetch(`${gateway.url}/health`);

    const { context } = invocations[0] as Invocation;
    expect(context.functionName).toBe("model-registry-query");
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.invokedFunctionArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:model-registry-query");
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(25_000);
  });

  it("decodes the path before routing, as an HTTP API does: an encoded slash separates segments", async () => {
    const response = await fetch(`${gateway.url}/models/fraud%2Fdetector/versions/caf%C3%A9`);

    expect(response.status).toBe(404);
    expect(invocations).toHaveLength(0);
    await fetch(`${gateway.url}/models/fraud_detector/versions/caf%C3%A9`);
    expect(lastEvent().pathParameters).toEqual({ name: "fraud_detector", v: "café" });
  });

  it.each(["dir/sub/a.bin", "dir%2Fsub%2Fa.bin", "dir%2Fsub/a.bin"])(
    "gives a greedy {path+} every segment left, slashes included: files/%s",
    async (spelling) => {
      await fetch(`${gateway.url}/models/fraud_detector/versions/1/artifact/files/${spelling}`);

      const event = lastEvent();
      expect(event.routeKey).toBe("GET /models/{name}/versions/{v}/artifact/files/{path+}");
      expect(event.pathParameters).toEqual({ name: "fraud_detector", v: "1", path: "dir/sub/a.bin" });
      expect(event.rawPath).toBe(`/models/fraud_detector/versions/1/artifact/files/${spelling}`);
    },
  );

  it("hands a '..' segment to the handler as sent, never resolving it to another route", async () => {
    const response = await rawRequest(
      gateway.port,
      "GET /models/fraud_detector/versions/1/artifact/files/../../../../../health HTTP/1.1\nHost: x\nConnection: close",
    );

    expect(response.status).toBe(200);
    const event = lastEvent();
    expect(event.routeKey).toBe("GET /models/{name}/versions/{v}/artifact/files/{path+}");
    expect(event.pathParameters?.path).toBe("../../../../../health");
  });

  it("joins repeated query parameters with commas and decodes them, keeping the raw query string", async () => {
    await fetch(`${gateway.url}/models/fraud_detector/versions?tag.team=risk&tag.team=ml&minMetric.auc=0.9&q=a%20b`);

    const event = lastEvent();
    expect(event.rawQueryString).toBe("tag.team=risk&tag.team=ml&minMetric.auc=0.9&q=a%20b");
    expect(event.queryStringParameters).toEqual({ "tag.team": "risk,ml", "minMetric.auc": "0.9", q: "a b" });
  });

  it("keeps query parameters named like Object's prototype members as the plain names they are", async () => {
    await fetch(`${gateway.url}/models/fraud_detector/versions?constructor=x&__proto__=y&toString=z`);

    const query = lastEvent().queryStringParameters ?? {};
    expect(Object.entries(query)).toEqual([
      ["constructor", "x"],
      ["__proto__", "y"],
      ["toString", "z"],
    ]);
  });

  it("lower-cases header names, joins repeated headers with commas and moves cookies to `cookies`", async () => {
    // fetch merges repeated headers itself; node:http sends each one on its own line.
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(
        `${gateway.url}/health`,
        { headers: { "X-Trace-Id": ["one", "two"], "Idempotency-Key": "abc", Cookie: "a=1; b=2" } },
        (response) => {
          response.resume();
          response.once("end", resolve);
        },
      );
      request.once("error", reject);
      request.end();
    });

    const event = lastEvent();
    expect(event.headers["idempotency-key"]).toBe("abc");
    expect(event.headers["x-trace-id"]).toBe("one,two");
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(["a=1", "b=2"]);
  });

  it("passes a JSON body as a string and a binary body as base64", async () => {
    await fetch(`${gateway.url}/models`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"fraud_detector"}',
    });
    const json = lastEvent();
    expect(json.routeKey).toBe("POST /models");
    expect(json.body).toBe('{"name":"fraud_detector"}');
    expect(json.isBase64Encoded).toBe(false);
    expect(invocations[0]?.fn).toBe("catalog");

    invocations.length = 0;
    await fetch(`${gateway.url}/models`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([0, 255, 1]),
    });
    const binary = lastEvent();
    expect(binary.isBase64Encoded).toBe(true);
    expect(binary.body).toBe(Buffer.from([0, 255, 1]).toString("base64"));
  });

  it("writes the handler's status, headers and body", async () => {
    respond = async () => ({
      statusCode: 201,
      headers: { Location: "/models/x", "content-type": "application/json" },
      body: '{"name":"x"}',
      cookies: ["s=1"],
    });

    const response = await fetch(`${gateway.url}/models`, { method: "POST", body: "{}" });

    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe("/models/x");
    expect(response.headers.get("set-cookie")).toBe("s=1");
    expect(await response.json()).toEqual({ name: "x" });
  });

  it("answers 200 JSON when the handler returns a plain object (payload 2.0 shorthand)", async () => {
    respond = async () => ({ status: "ok" }) as unknown as APIGatewayProxyResultV2;

    const response = await fetch(`${gateway.url}/health`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("loads each function's handler once", async () => {
    await fetch(`${gateway.url}/health`);
    await fetch(`${gateway.url}/health`);

    expect(loads.filter((fn) => fn === "query")).toHaveLength(1);
  });

  it("returns 404 Not Found, as API Gateway does, for an unknown path without invoking anything", async () => {
    const response = await fetch(`${gateway.url}/no/such/route`);

    expect(response.status).toBe(404);
    const body = (await response.json()) as ErrorBody & { message: string };
    expect(body.message).toBe("Not Found");
    expect(body.error.code).toBe("RouteNotFound");
    expect(invocations).toHaveLength(0);
  });

  it("returns 404 Not Found naming the accepted methods for a known path and another method (an HTTP API has no 405)", async () => {
    const response = await fetch(`${gateway.url}/models/fraud_detector`, { method: "PUT" });

    expect(response.status).toBe(404);
    const body = (await response.json()) as ErrorBody & { message: string };
    expect(body.message).toBe("Not Found");
    expect(body.error.code).toBe("RouteNotFound");
    expect(body.error.message).toContain("/models/fraud_detector accepts DELETE, GET, PATCH");
    expect(invocations).toHaveLength(0);
  });

  it.each([
    ["CONNECT", "CONNECT example.com:443 HTTP/1.1\nHost: example.com:443"],
    ["CONNECT to a routed path", "CONNECT /models HTTP/1.1\nHost: localhost"],
    ["TRACE", "TRACE /models HTTP/1.1\nHost: localhost"],
  ])("answers %s, which no route takes, with 404 Not Found instead of dropping the connection", async (_, head) => {
    const response = await rawRequest(gateway.port, head);

    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ message: "Not Found", error: { code: "RouteNotFound" } });
    expect(invocations).toHaveLength(0);
  });

  it("returns 404 for an empty path parameter instead of matching it", async () => {
    const response = await fetch(`${gateway.url}/models//versions`);

    expect(response.status).toBe(404);
    expect(invocations).toHaveLength(0);
  });

  it("returns 413 PayloadTooLarge for a body over 10 MiB", async () => {
    const response = await fetch(`${gateway.url}/models`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(10 * 1024 * 1024 + 1),
    });

    expect(response.status).toBe(413);
    const body = (await response.json()) as ErrorBody & { message: string };
    expect(body.message).toBe("Request Entity Too Large");
    expect(body.error.code).toBe("PayloadTooLarge");
    expect(invocations).toHaveLength(0);
  });

  const postModels = (body: string) =>
    fetch(`${gateway.url}/models`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it.each([
    ["6,000,001 bytes", "x".repeat(6_000_001)],
    ["3,000,001 quotes, which the event escapes to twice as many bytes", '"'.repeat(3_000_001)],
  ])("returns 413 PayloadTooLarge, saying what to do, for a body of %s, over Lambda's 6 MB invocation payload", async (_, sent) => {
    const response = await postModels(sent);

    expect(response.status).toBe(413);
    const body = (await response.json()) as ErrorBody & { message: string };
    expect(body.message).toBe("Request Entity Too Large");
    expect(body.error.code).toBe("PayloadTooLarge");
    expect(body.error.message).toMatch(/Lambda event of \d+ bytes, over the 6000000 bytes .* fewer files per version .* shorter paths/);
    expect(invocations).toHaveLength(0);
  });

  it("invokes the function with a body whose event stays within Lambda's 6 MB", async () => {
    const response = await postModels("x".repeat(5_990_000));

    expect(response.status).toBe(200);
    expect(lastEvent().body).toHaveLength(5_990_000);
  });

  it("answers 413 to each of 20 clients that send all 11 MiB before reading, never resetting the connection", async () => {
    const body = Buffer.alloc(11 * 1024 * 1024, "x");

    const statuses: number[] = [];
    for (let round = 0; round < 20; round++) {
      statuses.push(
        (await rawRequest(gateway.port, "POST /models HTTP/1.1\nHost: localhost\nContent-Type: application/json", body)).status,
      );
    }

    expect(statuses).toEqual(Array(20).fill(413));
    expect(invocations).toHaveLength(0);
  });

  it("tells its log once that an Authorization header changes nothing, and lets the request act as its one caller", async () => {
    const before = logged.length;
    await fetch(`${gateway.url}/models`);
    expect(logged).toHaveLength(before);
    invocations.length = 0;

    for (const authorization of ["Bearer pipeline-token", "Bearer other-token"]) {
      const response = await fetch(`${gateway.url}/models`, { headers: { authorization } });
      expect(response.status).toBe(200);
      expect(lastEvent().requestContext.authorizer.iam.userArn).toBe("local:tester");
      invocations.length = 0;
    }

    expect(logged.slice(before)).toEqual([expect.stringContaining("Authorization header, which this registry ignores")]);
    expect(logged.at(-1)).toContain("act as local:tester with every role");
  });

  it("returns a bare 500 InternalError with the request id when a handler throws", async () => {
    respond = async () => {
      throw new Error("secret detail");
    };

    const response = await fetch(`${gateway.url}/health`);

    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("InternalError");
    expect(JSON.stringify(body)).not.toContain("secret detail");
    expect(body.error.message).toContain(response.headers.get("apigw-requestid"));
  });
});

describe("route matching", () => {
  const route = (method: RouteDefinition["method"], path: string): RouteDefinition => ({ ...(routes[0] as RouteDefinition), method, path });
  const table = [
    route("GET", "/models/{name}"),
    route("GET", "/models/{name}/stages/{stage}"),
    route("POST", "/models/{name}/stages/Production"),
  ];
  const match = createRouter(table);

  it("prefers the template with more literal segments, as API Gateway does", () => {
    expect(match("GET", "/models/a/stages/Production")).toMatchObject({ kind: "found", routeKey: "GET /models/{name}/stages/{stage}" });
    expect(match("POST", "/models/a/stages/Production")).toMatchObject({
      kind: "found",
      routeKey: "POST /models/{name}/stages/Production",
    });
  });

  it("lists every method of the matching templates when the method does not fit", () => {
    expect(match("DELETE", "/models/a/stages/Production")).toEqual({ kind: "method-not-allowed", allow: ["GET", "POST"] });
  });

  it("covers every route of the shared table with its own routeKey", () => {
    const shared = createRouter(routes);
    for (const route of routes) {
      const path = route.path.replace(/\{[^}]+\}/g, "x1");
      expect(shared(route.method, path)).toMatchObject({ kind: "found", routeKey: `${route.method} ${route.path}` });
    }
  });
});

describe("event details", () => {
  it("formats requestContext.time like API Gateway", () => {
    expect(requestTime(new Date(Date.UTC(2020, 2, 12, 19, 3, 58)))).toBe("12/Mar/2020:19:03:58 +0000");
  });

  it("acts as local:<os user> by default", () => {
    expect(defaultActor()).toMatch(/^local:.+/);
  });
});
