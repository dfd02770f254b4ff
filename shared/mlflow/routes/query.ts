import type { RouteDefinition } from "../../routes/route";
import * as s from "../schemas";
import { registeredModels, modelVersions } from "./paths";

/** The MLflow routes the query function serves. */
export const MLFLOW_QUERY_ROUTES = [
  {
    method: "GET",
    path: `${registeredModels}/get`,
    function: "query",
    role: "reader",
    operationId: "mlflowGetRegisteredModel",
    summary: "MLflow: a registered model with its latest version per stage",
    request: { query: s.nameQuery },
    response: { status: 200, schema: s.registeredModelAnswer },
  },
  {
    method: "GET",
    path: `${registeredModels}/search`,
    function: "query",
    role: "reader",
    operationId: "mlflowSearchRegisteredModels",
    summary: "MLflow: search registered models by name (=, LIKE 'prefix%', ILIKE), in name order",
    request: { query: s.searchRegisteredModelsQuery },
    response: { status: 200, schema: s.registeredModelPage },
  },
  {
    method: "GET",
    path: `${registeredModels}/get-latest-versions`,
    function: "query",
    role: "reader",
    operationId: "mlflowGetLatestVersions",
    summary: "MLflow: the newest READY version in each stage asked for (all stages, None included, when none is)",
    request: { query: s.getLatestVersionsQuery },
    response: { status: 200, schema: s.modelVersionsAnswer },
  },
  {
    method: "GET",
    path: `${registeredModels}/alias`,
    function: "query",
    role: "reader",
    operationId: "mlflowGetModelVersionByAlias",
    summary: "MLflow: the version an alias points to",
    request: { query: s.aliasBody },
    response: { status: 200, schema: s.modelVersionAnswer },
  },
  {
    method: "GET",
    path: `${modelVersions}/get`,
    function: "query",
    role: "reader",
    operationId: "mlflowGetModelVersion",
    summary: "MLflow: one version",
    request: { query: s.versionBody },
    response: { status: 200, schema: s.modelVersionAnswer },
  },
  {
    method: "GET",
    path: `${modelVersions}/search`,
    function: "query",
    role: "reader",
    operationId: "mlflowSearchModelVersions",
    summary:
      "MLflow: search one model's versions (name = '…'; run_id, tags.<key> filters), or one run's versions of every model (run_id = '…')",
    request: { query: s.searchModelVersionsQuery },
    response: { status: 200, schema: s.modelVersionPage },
  },
  {
    method: "GET",
    path: `${modelVersions}/get-download-uri`,
    function: "query",
    role: "reader",
    operationId: "mlflowGetModelVersionDownloadUri",
    summary: "MLflow: where a version's bytes are (s3://bucket/key of its artifact, or its source)",
    request: { query: s.versionBody },
    response: { status: 200, schema: s.downloadUriAnswer },
  },
] as const satisfies readonly RouteDefinition<"query">[];
