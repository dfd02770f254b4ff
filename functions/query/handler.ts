import { loadConfig } from "../../shared/config";
import { buildRegistryDeps } from "../../shared/composition";
import { createApiHandler } from "../../shared/http/api-handler";
import { openApiDocument } from "../../shared/http/openapi";
import { getModel, listModels } from "../../shared/use-cases/models";
import { getVersion, listVersions } from "../../shared/use-cases/versions";

const config = loadConfig();
const deps = buildRegistryDeps(config);
const ok = (body: unknown) => ({ status: 200, body });

/** Read-only routes: translate the request, call one use case, shape the answer. */
export const handler = createApiHandler("query", config, {
  "GET /health": async () => ok({ status: "ok" }),
  "GET /openapi.json": async () => ok(openApiDocument()),
  "GET /models": async ({ query }) => ok(await listModels(deps, query)),
  "GET /models/{name}": async ({ path }) => ok(await getModel(deps, path.name)),
  "GET /models/{name}/versions": async ({ path, query }) => {
    const { limit, cursor, ...filters } = query;
    return ok(await listVersions(deps, path.name, filters, { limit, cursor }));
  },
  "GET /models/{name}/versions/{v}": async ({ path }) => ok(await getVersion(deps, path.name, path.v)),
});
