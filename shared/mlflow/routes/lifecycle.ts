import type { RouteDefinition } from "../../routes/route";
import * as s from "../schemas";
import { registeredModels, modelVersions } from "./paths";

/** The MLflow routes the lifecycle function serves. */
export const MLFLOW_LIFECYCLE_ROUTES = [
  {
    method: "POST",
    path: `${registeredModels}/alias`,
    function: "lifecycle",
    role: "promoter",
    operationId: "mlflowSetRegisteredModelAlias",
    summary: "MLflow: point an alias at a version (unconditionally; the native API has compare-and-set)",
    request: { body: s.setAliasBody },
    response: { status: 200, schema: s.emptyAnswer },
  },
  {
    method: "DELETE",
    path: `${registeredModels}/alias`,
    function: "lifecycle",
    role: "promoter",
    operationId: "mlflowDeleteRegisteredModelAlias",
    summary: "MLflow: remove an alias",
    request: { body: s.aliasBody },
    response: { status: 200, schema: s.emptyAnswer },
  },
  {
    method: "POST",
    path: `${modelVersions}/transition-stage`,
    function: "lifecycle",
    role: "promoter",
    operationId: "mlflowTransitionModelVersionStage",
    summary: "MLflow: move a version to a stage, atomically (to Production, the previous occupant is always archived)",
    request: { body: s.transitionStageBody },
    response: { status: 200, schema: s.modelVersionAnswer },
  },
] as const satisfies readonly RouteDefinition<"lifecycle">[];
