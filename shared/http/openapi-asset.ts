import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The OpenAPI document's file beside a bundle that serves it. */
export const OPENAPI_ASSET = "openapi.json";

/** The document generated beside a bundle at build time (`writeOpenApiAsset` in ./openapi.ts). */
export async function readOpenApiAsset(bundleDir: string): Promise<unknown> {
  return JSON.parse(await readFile(join(bundleDir, OPENAPI_ASSET), "utf8"));
}

/**
 * `#openapi-document` in a function's bundle (infra/bundling.ts): the document was generated from
 * the route table at build time and written beside the bundle, so the query function bundles
 * neither the document's builder, nor every other function's schemas, nor zod's JSON Schema code.
 */
export const loadOpenApiDocument = (): Promise<unknown> => readOpenApiAsset(__dirname);
