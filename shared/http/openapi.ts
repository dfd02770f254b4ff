import * as z from "../zod";
import { isWriteRoute, routes, type RouteDefinition } from "../routes";
import { errorBody } from "../schemas/common";
import { HTTP_STATUS_BY_CODE, type ErrorCode } from "./error-mapper";

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
  const schema = z.object({ error: z.extend(errorBody.shape.error, { code: z.enum(codes) }) });
  return { "application/json": { schema: jsonSchema(schema, "output") } };
};

/** One response per HTTP status the error mapper answers with, naming the codes it carries. */
function errorResponses() {
  const codesByStatus = new Map<number, [ErrorCode, ...ErrorCode[]]>();
  for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE) as [ErrorCode, number][])
    codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
  return Object.fromEntries(
    [...codesByStatus].map(([status, codes]) => [
      String(status),
      { description: `Error ${codes.join(", ")}: { error: { code, message, details?, requestId } }`, content: errorContent(codes) },
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
      default: { description: "Error InternalError: { error: { code, message, requestId } }", content: errorContent(["InternalError"]) },
    },
  };
}

/** OpenAPI 3.1 from the route table and its zod schemas: the document cannot drift from what is validated. */
export function openApiDocument(serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const errors = errorResponses();
  for (const route of routes as readonly RouteDefinition[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, errors);
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
