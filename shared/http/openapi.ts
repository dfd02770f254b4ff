import * as z from "../zod";
import { isWriteRoute, routes, type RouteDefinition } from "../routes";
import { errorBody } from "../schemas/common";

const jsonSchema = (schema: z.core.$ZodType, io: "input" | "output") => z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" });

function parameters(route: RouteDefinition) {
  const located = [
    ["path", route.request?.path],
    ["query", route.request?.query],
  ] as const;
  return located.flatMap(([where, schema]) => {
    if (!schema) return [];
    const doc = jsonSchema(schema, "input") as { properties?: Record<string, unknown>; required?: string[]; description?: string };
    if (!doc.properties) return [{ name: "filters", in: where, required: false, style: "form", explode: true, schema: doc, description: doc.description }];
    return Object.entries(doc.properties).map(([name, property]) => ({ name, in: where, required: where === "path" || (doc.required ?? []).includes(name), schema: property }));
  });
}

const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 255 },
  description:
    "A retry with the same key and body gets the first 2xx answer again (header idempotent-replayed: true) and changes nothing, for 24 hours; the same key with another body is 409 IdempotencyKeyReused, and while the first request runs 409 IdempotencyKeyInProgress.",
};

function operation(route: RouteDefinition) {
  const body = route.request?.body;
  return {
    operationId: route.operationId,
    summary: route.summary,
    "x-required-role": route.role,
    parameters: [...parameters(route), ...(isWriteRoute(route) ? [idempotencyKey] : [])],
    ...(body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(body, "input") } } } } : {}),
    responses: {
      [route.response.status]: { description: route.summary, content: { "application/json": { schema: jsonSchema(route.response.schema, "output") } } },
      default: { description: "Error: { error: { code, message, details?, requestId } }", content: { "application/json": { schema: jsonSchema(errorBody, "output") } } },
    },
  };
}

/** OpenAPI 3.1 from the route table and its zod schemas: the document cannot drift from what is validated. */
export function openApiDocument(serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes as readonly RouteDefinition[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
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
