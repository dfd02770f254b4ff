import { fileURLToPath } from "node:url";
import { readOpenApiAsset } from "./openapi-asset";

/**
 * `#openapi-document` in `npm start`'s bundle (infra/local/launch.mjs), an ES module: the document
 * was generated when the bundle was built and written beside it, so no first request builds it.
 */
export const loadOpenApiDocument = (): Promise<unknown> => readOpenApiAsset(fileURLToPath(new URL(".", import.meta.url)));
