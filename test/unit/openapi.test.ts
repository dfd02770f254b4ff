import { describe, expect, it } from "vitest";
import { HTTP_STATUS_BY_CODE } from "../../shared/http/error-mapper";
import { openApiDocument } from "../../shared/http/openapi";
import { routeKey, routes } from "../../shared/routes";
import { MLFLOW_HTTP_STATUS, isMlflowRouteKey } from "../../shared/mlflow/errors";

interface Operation {
  readonly requestBody?: { readonly required: boolean };
  readonly responses: Record<
    string,
    { readonly content: { "application/json": { schema: { properties: { error?: { properties: { code: { enum?: string[] } } } } } } } }
  >;
}

const document = openApiDocument();
const operationOf = (route: (typeof routes)[number]) => document.paths[route.path]?.[route.method.toLowerCase()] as Operation;
const codesAnswered = (operation: Operation, status: string) =>
  operation.responses[status]?.content["application/json"].schema.properties.error?.properties.code.enum;

describe("the OpenAPI document", () => {
  it("marks the request body optional exactly where the route takes none (…/artifact/complete, …/artifact/upload)", () => {
    const optional = routes.filter((route) => operationOf(route).requestBody?.required === false).map(routeKey);
    const required = routes.filter((route) => operationOf(route).requestBody?.required === true).map(routeKey);

    expect(optional.sort()).toEqual([
      "POST /models/{name}/versions/{v}/artifact/complete",
      "POST /models/{name}/versions/{v}/artifact/upload",
    ]);
    expect(required).toContain("POST /models/{name}/versions/{v}/transitions");
    expect(required).toHaveLength(routes.filter((route) => "request" in route && "body" in route.request).length - optional.length);
  });

  it("lists every error code under the status the error mapper answers it with, on every native operation", () => {
    for (const route of routes.filter((r) => !isMlflowRouteKey(routeKey(r)))) {
      const operation = operationOf(route);
      for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE)) {
        expect(codesAnswered(operation, String(status)), `${routeKey(route)} ${code}`).toContain(code);
      }
      expect(codesAnswered(operation, "default")).toEqual(["InternalError"]);
    }
  });

  it("lists MLflow's error codes, in MLflow's shape, on every MLflow-compatible operation", () => {
    const mlflowRoutes = routes.filter((route) => isMlflowRouteKey(routeKey(route)));
    expect(mlflowRoutes).toHaveLength(22);
    for (const route of mlflowRoutes) {
      const responses = operationOf(route).responses as unknown as Record<
        string,
        { content: { "application/json": { schema: { properties: { error_code: { enum: string[] } } } } } }
      >;
      for (const [code, status] of Object.entries(MLFLOW_HTTP_STATUS))
        expect(
          responses[String(status)]?.content["application/json"].schema.properties.error_code.enum,
          `${routeKey(route)} ${code}`,
        ).toContain(code);
    }
  });
});
