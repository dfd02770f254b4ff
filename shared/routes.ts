import type { z } from "zod";
import { createModelBody, listModelsQuery, modelPage, modelPath, modelView, updateModelBody } from "./schemas/model";
import { listVersionsQuery, registerVersionBody, registeredVersionView, updateVersionBody, versionPage, versionPath, versionView } from "./schemas/version";
import { healthView, openApiDocument } from "./schemas/system";
import type { Role } from "./domain/permissions";

/**
 * The one route table: the CDK API stack, the local gateway and the OpenAPI document all read it.
 * Each function is a privilege boundary: it gets only the grants its routes need.
 */
export const FUNCTIONS = {
  query: { description: "Read-only routes", grants: ["readTable"] },
  catalog: { description: "Create and edit models and versions", grants: ["readTable", "writeTable"] },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;
export type Grant = (typeof FUNCTIONS)[FunctionName]["grants"][number];

export { ROLES, type Role } from "./domain/permissions";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly function: FunctionName;
  readonly role: Role;
  readonly operationId: string;
  readonly summary: string;
  readonly request?: { readonly path?: z.ZodType; readonly query?: z.ZodType; readonly body?: z.ZodType };
  readonly response: { readonly status: number; readonly schema: z.ZodType };
}

export const routes = [
  { method: "GET", path: "/health", function: "query", role: "reader", operationId: "health", summary: "Liveness check", response: { status: 200, schema: healthView } },
  { method: "GET", path: "/openapi.json", function: "query", role: "reader", operationId: "openapi", summary: "This API's OpenAPI 3.1 document", response: { status: 200, schema: openApiDocument } },
  { method: "POST", path: "/models", function: "catalog", role: "publisher", operationId: "createModel", summary: "Create a model", request: { body: createModelBody }, response: { status: 201, schema: modelView } },
  { method: "GET", path: "/models", function: "query", role: "reader", operationId: "listModels", summary: "List models in name order", request: { query: listModelsQuery }, response: { status: 200, schema: modelPage } },
  { method: "GET", path: "/models/{name}", function: "query", role: "reader", operationId: "getModel", summary: "Get a model with its stages and aliases", request: { path: modelPath }, response: { status: 200, schema: modelView } },
  { method: "PATCH", path: "/models/{name}", function: "catalog", role: "publisher", operationId: "updateModel", summary: "Change a model's description or tags", request: { path: modelPath, body: updateModelBody }, response: { status: 200, schema: modelView } },
  { method: "POST", path: "/models/{name}/versions", function: "catalog", role: "publisher", operationId: "registerVersion", summary: "Register a new version (creates the model if absent)", request: { path: modelPath, body: registerVersionBody }, response: { status: 201, schema: registeredVersionView } },
  { method: "GET", path: "/models/{name}/versions", function: "query", role: "reader", operationId: "listVersions", summary: "List versions, newest first, with filters", request: { path: modelPath, query: listVersionsQuery }, response: { status: 200, schema: versionPage } },
  { method: "GET", path: "/models/{name}/versions/{v}", function: "query", role: "reader", operationId: "getVersion", summary: "Get one version by number or v<semver>", request: { path: versionPath }, response: { status: 200, schema: versionView } },
  { method: "PATCH", path: "/models/{name}/versions/{v}", function: "catalog", role: "publisher", operationId: "updateVersion", summary: "Change a version's description or tags", request: { path: versionPath, body: updateVersionBody }, response: { status: 200, schema: versionView } },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type RouteKey = `${Route["method"]} ${Route["path"]}`;

export const routeKey = (route: Pick<RouteDefinition, "method" | "path">): string => `${route.method} ${route.path}`;

export function routesOf(fn: FunctionName): RouteDefinition[] {
  return routes.filter((route) => route.function === fn);
}
