/**
 * `#openapi-document` run from source (tests, `npm start`): the document is built from the route
 * table on the first request that asks for it. A function's bundle reads it instead from the asset
 * generated beside it at build time (./openapi-asset.ts, infra/bundling.ts).
 */
export const loadOpenApiDocument = (): Promise<unknown> => import("./openapi").then((builder) => builder.openApiDocument());
