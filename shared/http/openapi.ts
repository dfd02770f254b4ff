import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "../zod";
import { isWriteRoute, routeKey, routes, type RouteDefinition } from "../routes";
import { MLFLOW_HTTP_STATUS, isMlflowRouteKey } from "../mlflow/errors";
import { errorBody } from "../schemas/common";
import { HTTP_STATUS_BY_CODE } from "./error-mapper";
import { OPENAPI_ASSET } from "./openapi-asset";

const jsonSchema = (schema: z.core.$ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" });

function parameters(route: RouteDefinition) {
  const located = [
    ["path", route.request?.path],
    ["query", route.request?.query],
  ] as const;
  return located.flatMap(([where, schema]) => {
    if (!schema) return [];
    const doc = jsonSchema(schema, "input") as { properties?: Record<string, unknown>; required?: string[]; description?: string };
    if (!doc.properties)
      return [{ name: "filters", in: where, required: false, style: "form", explode: true, schema: doc, description: doc.description }];
    return Object.entries(doc.properties).map(([name, property]) => ({
      name,
      in: where,
      required: where === "path" || (doc.required ?? []).includes(name),
      schema: property,
    }));
  });
}

const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 255 },
  description:
    "A retry with the same key and body gets the first 2xx answer again (header idempotent-replayed: true) and changes nothing, " +
    "for 24 hours; the same key with another body is 409 IdempotencyKeyReused, and while the first request runs 409 IdempotencyKeyInProgress.",
};

/** The error body with `code` narrowed to `codes`. */
const errorContent = (codes: readonly [string, ...string[]]) => {
  const schema = z.object({ error: z.extend(z.built(errorBody).shape.error, { code: z.enum(codes) }) });
  return { "application/json": { schema: jsonSchema(schema, "output") } };
};

/** `{ code: status }` grouped as `[status, codes]`. */
function codesByStatus<C extends string>(statusByCode: Record<C, number>): [number, [C, ...C[]]][] {
  const grouped = new Map<number, [C, ...C[]]>();
  for (const [code, status] of Object.entries(statusByCode) as [C, number][]) grouped.set(status, [...(grouped.get(status) ?? []), code]);
  return [...grouped];
}

/** One response per HTTP status the error mapper answers with, naming the codes it carries. */
function errorResponses() {
  return {
    ...Object.fromEntries(
      codesByStatus(HTTP_STATUS_BY_CODE).map(([status, codes]) => [
        String(status),
        { description: `Error ${codes.join(", ")}: { error: { code, message, details?, requestId } }`, content: errorContent(codes) },
      ]),
    ),
    default: { description: "Error InternalError: { error: { code, message, requestId } }", content: errorContent(["InternalError"]) },
  };
}

/** The MLflow-compatible routes answer errors in MLflow's shape, `{ error_code, message }`. */
function mlflowErrorResponses() {
  return Object.fromEntries(
    codesByStatus(MLFLOW_HTTP_STATUS).map(([status, codes]) => [
      String(status),
      {
        description: `Error ${codes.join(", ")}: { error_code, message }`,
        content: { "application/json": { schema: jsonSchema(z.object({ error_code: z.enum(codes), message: z.string() }), "output") } },
      },
    ]),
  );
}

/** A body schema that accepts no body at all (…/artifact/complete, …/artifact/upload) makes the body optional. */
const acceptsNoBody = (body: z.core.$ZodType) => z.safeParse(body, undefined).success;

function operation(route: RouteDefinition, errors: Record<string, unknown>) {
  const body = route.request?.body;
  return {
    operationId: route.operationId,
    summary: route.summary,
    "x-required-role": route.role,
    parameters: [...parameters(route), ...(isWriteRoute(route) ? [idempotencyKey] : [])],
    ...(body
      ? { requestBody: { required: !acceptsNoBody(body), content: { "application/json": { schema: jsonSchema(body, "input") } } } }
      : {}),
    responses: {
      [route.response.status]: {
        description: route.summary,
        content: { "application/json": { schema: jsonSchema(route.response.schema, "output") } },
      },
      ...errors,
    },
  };
}

/** OpenAPI 3.1 from the route table and its zod schemas: the document cannot drift from what is validated. */
export function openApiDocument(serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const errors = errorResponses();
  const mlflowErrors = mlflowErrorResponses();
  for (const route of routes as readonly RouteDefinition[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, isMlflowRouteKey(routeKey(route)) ? mlflowErrors : errors);
  }
  return {
    openapi: "3.1.0",
    info: { title: "Model registry", version: "1.0.0", description: "Register, promote and resolve ML model versions." },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ sigv4: [] }],
    components: { securitySchemes: { sigv4: { type: "apiKey", name: "Authorization", in: "header", description: "AWS SigV4 (IAM)" } } },
    paths,
  };
}

/** Writes the document beside a bundle that serves it (`readOpenApiAsset` in ./openapi-asset.ts). */
export async function writeOpenApiAsset(bundleDir: string): Promise<void> {
  await writeFile(join(bundleDir, OPENAPI_ASSET), JSON.stringify(openApiDocument()));
}
