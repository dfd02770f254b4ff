import type { RouteDefinition } from "../../routes/route";
import * as s from "../request-fields";
import { registeredModels, modelVersions } from "./paths";

/** The MLflow routes the artifacts function serves. */
export const MLFLOW_ARTIFACTS_ROUTES = [
  {
    method: "DELETE",
    path: `${registeredModels}/delete`,
    function: "artifacts",
    role: "admin",
    operationId: "mlflowDeleteRegisteredModel",
    summary: "MLflow: delete a registered model with all its versions (none in Staging or Production)",
    request: { body: s.nameBody },
    response: { status: 200, schema: s.emptyAnswer },
  },
  {
    method: "DELETE",
    path: `${modelVersions}/delete`,
    function: "artifacts",
    role: "admin",
    operationId: "mlflowDeleteModelVersion",
    summary: "MLflow: delete an Archived version",
    request: { body: s.versionBody },
    response: { status: 200, schema: s.emptyAnswer },
  },
] as const satisfies readonly RouteDefinition<"artifacts">[];
