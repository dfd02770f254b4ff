import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The OpenAPI document's file beside a function's bundle. */
export const OPENAPI_ASSET = "openapi.json";

/**
 * `#openapi-document` in a function's bundle (infra/bundling.ts): the document was generated from
 * the route table at build time and written beside the bundle, so the query function bundles
 * neither the document's builder, nor every other function's schemas, nor zod's JSON Schema code.
 */
export async function loadOpenApiDocument(): Promise<unknown> {
  return JSON.parse(await readFile(join(__dirname, OPENAPI_ASSET), "utf8"));
}
