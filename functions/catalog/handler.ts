import { buildCatalogDeps } from "../../shared/catalog-composition";
import { composeProcess, createApiHandler } from "../../shared/http/api-handler";
import { loadIdempotency } from "../../shared/http/keyed-writes";
import { catalogRoutes } from "../../shared/routes/catalog";
import { createModel } from "../../shared/use-cases/create-model";
import { updateModel } from "../../shared/use-cases/update-model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { updateVersion } from "../../shared/use-cases/update-version";
import { mlflowCatalogAdapters } from "../../shared/mlflow/adapters";

// Registration presigns uploads and checks the bucket for bytes it already holds.
const { deps, ...resources } = composeProcess(buildCatalogDeps);
// Its write routes take Idempotency-Keys.
const root = { ...resources, idempotency: loadIdempotency };

/** Model and version writes: translate the request, call one use case, shape the answer. */
export const handler = createApiHandler("catalog", catalogRoutes, root, {
  "POST /models": async ({ body, who }) => {
    const model = await createModel(deps, body, who);
    return { status: 201, body: model, headers: { location: `/models/${model.name}` } };
  },
  "PATCH /models/{name}": async ({ path, body, who }) => ({ status: 200, body: await updateModel(deps, path.name, body, who) }),
  "POST /models/{name}/versions": async ({ path, body, who }) => {
    const version = await registerVersion(deps, path.name, body, who);
    return { status: 201, body: version, headers: { location: `/models/${path.name}/versions/${version.version}` } };
  },
  "PATCH /models/{name}/versions/{v}": async ({ path, body, who }) => ({
    status: 200,
    body: await updateVersion(deps, path.name, path.v, body, who),
  }),
  ...mlflowCatalogAdapters(deps),
});
