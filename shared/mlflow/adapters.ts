import type { ArtifactDeps, KeyMetricDeps, ListingDeps, PromotionDeps } from "../use-cases/deps";
import { empty, ok, type MlflowAdapters } from "./answers";
import * as mlflow from "./registry";

export function mlflowQueryAdapters(deps: ListingDeps): MlflowAdapters<"query"> {
  return {
    "GET /api/2.0/mlflow/registered-models/get": async ({ query }) =>
      ok({ registered_model: await mlflow.getRegisteredModel(deps, query.name) }),
    "GET /api/2.0/mlflow/registered-models/search": async ({ query }) => ok(await mlflow.searchRegisteredModels(deps, query)),
    "GET /api/2.0/mlflow/registered-models/get-latest-versions": async ({ query }) =>
      ok({ model_versions: await mlflow.getLatestVersions(deps, query) }),
    "GET /api/2.0/mlflow/registered-models/alias": async ({ query }) =>
      ok({ model_version: await mlflow.getModelVersionByAlias(deps, query) }),
    "GET /api/2.0/mlflow/model-versions/get": async ({ query }) => ok({ model_version: await mlflow.getModelVersion(deps, query) }),
    "GET /api/2.0/mlflow/model-versions/search": async ({ query }) => ok(await mlflow.searchModelVersions(deps, query)),
    "GET /api/2.0/mlflow/model-versions/get-download-uri": async ({ query }) =>
      ok({ artifact_uri: await mlflow.getModelVersionDownloadUri(deps, query) }),
  };
}

export function mlflowCatalogAdapters(deps: ArtifactDeps & KeyMetricDeps): MlflowAdapters<"catalog"> {
  return {
    "POST /api/2.0/mlflow/registered-models/create": async ({ body, who }) =>
      ok({ registered_model: await mlflow.createRegisteredModel(deps, body, who) }),
    "POST /api/2.0/mlflow/registered-models/rename": async ({ body }) => mlflow.renameRegisteredModel(body),
    "PATCH /api/2.0/mlflow/registered-models/update": async ({ body, who }) =>
      ok({ registered_model: await mlflow.updateRegisteredModel(deps, body, who) }),
    "POST /api/2.0/mlflow/registered-models/get-latest-versions": async ({ body }) =>
      ok({ model_versions: await mlflow.getLatestVersions(deps, body) }),
    "POST /api/2.0/mlflow/registered-models/set-tag": ({ body, who }) => empty(mlflow.editRegisteredModelTag(deps, body, who)),
    "DELETE /api/2.0/mlflow/registered-models/delete-tag": async ({ body, who }) =>
      empty(mlflow.editRegisteredModelTag(deps, { name: body.name, key: body.key }, who)),
    "POST /api/2.0/mlflow/model-versions/create": async ({ body, who }) =>
      ok({ model_version: await mlflow.createModelVersion(deps, body, who) }),
    "PATCH /api/2.0/mlflow/model-versions/update": async ({ body, who }) =>
      ok({ model_version: await mlflow.updateModelVersion(deps, body, who) }),
    "POST /api/2.0/mlflow/model-versions/set-tag": ({ body, who }) => empty(mlflow.editModelVersionTag(deps, body, who)),
    "DELETE /api/2.0/mlflow/model-versions/delete-tag": async ({ body, who }) =>
      empty(mlflow.editModelVersionTag(deps, { name: body.name, version: body.version, key: body.key }, who)),
  };
}

export function mlflowLifecycleAdapters(deps: PromotionDeps): MlflowAdapters<"lifecycle"> {
  return {
    "POST /api/2.0/mlflow/model-versions/transition-stage": async ({ body, who }) =>
      ok({ model_version: await mlflow.transitionModelVersionStage(deps, body, who) }),
    "POST /api/2.0/mlflow/registered-models/alias": ({ body, who }) => empty(mlflow.setRegisteredModelAlias(deps, body, who)),
    "DELETE /api/2.0/mlflow/registered-models/alias": ({ body, who }) => empty(mlflow.deleteRegisteredModelAlias(deps, body, who)),
  };
}
