import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { firstInLine } from "../support/mocked-store";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { routes, routeKey } from "../../shared/routes";

const dynamo = mockClient(DynamoDBDocumentClient);
let catalog: typeof import("../../functions/catalog/handler")["handler"];
let query: typeof import("../../functions/query/handler")["handler"];

beforeAll(async () => {
  vi.stubEnv("TABLE_NAME", "registry-unit");
  vi.stubEnv(
    "ROLE_BINDINGS",
    JSON.stringify([
      { pattern: "arn:aws:iam::*", roles: ["reader", "publisher"] },
      { pattern: "*:assumed-role/ci/*", roles: ["reader", "publisher"] },
    ]),
  );
  ({ handler: catalog } = await import("../../functions/catalog/handler"));
  ({ handler: query } = await import("../../functions/query/handler"));
});

// Unit test files share a process (vitest.config.ts): leave no mock or variable behind.
afterAll(() => {
  dynamo.restore();
  vi.unstubAllEnvs();
});

const body = (response: { body?: string }) => JSON.parse(response.body ?? "null");

describe("the API handlers", () => {
  it("take createdBy from the verified caller and refuse it in the body", async () => {
    dynamo.reset();
    dynamo.on(GetCommand).resolves({});
    firstInLine(dynamo);
    dynamo.on(TransactWriteCommand).resolves({});
    const actor = "arn:aws:sts::123456789012:assumed-role/ci/runner-7";

    const accepted = await catalog(
      apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name: "fraud_detector" }, body: { source: "s3://m" }, actor }),
      lambdaContext,
    );
    const refused = await catalog(
      apiEvent({
        routeKey: "POST /models/{name}/versions",
        pathParameters: { name: "fraud_detector" },
        body: { source: "s3://m", createdBy: "mallory" },
        actor,
      }),
      lambdaContext,
    );

    expect(accepted.statusCode).toBe(201);
    expect(body(accepted).createdBy).toBe(actor);
    expect(accepted.headers?.location).toBe("/models/fraud_detector/versions/1");
    expect(refused.statusCode).toBe(400);
  });

  it("answers an unexpected failure with a bare 500 that names only the request id", async () => {
    dynamo.reset();
    dynamo.on(GetCommand).rejects(new Error("socket hang up: secret-host:8000"));
    const event = apiEvent({ routeKey: "GET /models/{name}", pathParameters: { name: "fraud_detector" } });

    const response = await query(event, lambdaContext);

    expect(response.statusCode).toBe(500);
    expect(body(response)).toEqual({
      error: {
        code: "InternalError",
        message: expect.stringContaining(event.requestContext.requestId),
        requestId: event.requestContext.requestId,
      },
    });
    expect(response.body).not.toContain("secret-host");
  });

  it("answers 403 Forbidden naming the missing role when the caller's principal has no binding for it", async () => {
    const response = await catalog(
      apiEvent({
        routeKey: "POST /models",
        body: { name: "fraud_detector" },
        actor: "arn:aws:sts::999999999999:assumed-role/viewer/alice",
      }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(403);
    expect(body(response).error).toMatchObject({ code: "Forbidden", details: { missingRole: "publisher", roles: [] } });
    expect(body(response).error.message).toContain("needs the 'publisher' role");
  });

  it.each([
    ["a body that is not JSON", '{"name":'],
    ["a body its schema refuses", '{"nmae":"fraud_detector"}'],
  ])("answers 403 Forbidden, not 400, to a caller without the role who sends %s", async (_, rawBody) => {
    const response = await catalog(
      apiEvent({ routeKey: "POST /models", rawBody, actor: "arn:aws:sts::999999999999:assumed-role/viewer/alice" }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(403);
    expect(body(response).error.code).toBe("Forbidden");
  });

  it("answers 400 ValidationError naming the body when a caller with the role sends one that is not JSON", async () => {
    const response = await catalog(apiEvent({ routeKey: "POST /models", rawBody: '{"name":' }), lambdaContext);

    expect(response.statusCode).toBe(400);
    expect(body(response).error).toMatchObject({ code: "ValidationError", details: [{ path: "body" }] });
    expect(body(response).error.message).toContain("The request body must be a JSON document");
  });

  it("answers 400 naming the body when a string in it holds a lone UTF-16 surrogate, which DynamoDB cannot store", async () => {
    const rawBody = String.raw`{"name": "fraud_detector", "tags": {"team": "risk\ud800"}}`;

    const response = await catalog(apiEvent({ routeKey: "POST /models", rawBody }), lambdaContext);

    expect(response.statusCode).toBe(400);
    expect(body(response).error).toMatchObject({ code: "ValidationError", details: [{ path: "body" }] });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("answers 400 naming an unknown query parameter on a route that takes none", async () => {
    const response = await query(
      apiEvent({ routeKey: "GET /models/{name}", pathParameters: { name: "fraud_detector" }, queryStringParameters: { constructor: "x" } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(body(response).error).toMatchObject({
      code: "ValidationError",
      details: [{ path: "query", message: expect.stringContaining("constructor") }],
    });
  });

  it("answers 404 RouteNotFound for a route this function does not serve", async () => {
    const response = await query(
      apiEvent({ routeKey: "DELETE /models/{name}", pathParameters: { name: "fraud_detector" } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(404);
    expect(body(response).error.code).toBe("RouteNotFound");
  });

  it("serves an OpenAPI 3.1 document with every route of the table", async () => {
    const response = await query(apiEvent({ routeKey: "GET /openapi.json" }), lambdaContext);
    const document = body(response);

    expect(document.openapi).toBe("3.1.0");
    for (const route of routes) {
      expect(document.paths[route.path]?.[route.method.toLowerCase()]?.operationId, routeKey(route)).toBe(route.operationId);
    }
    expect(document.paths["/models/{name}/versions"].post.requestBody.content["application/json"].schema.properties).toHaveProperty(
      "metrics",
    );
  });
});
