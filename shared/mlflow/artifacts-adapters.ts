import type { RemovalDeps } from "../use-cases/deps";
import { empty, type MlflowAdapters } from "./answers";
import * as mlflow from "./deletions";

export function mlflowArtifactsAdapters(deps: RemovalDeps): MlflowAdapters<"artifacts"> {
  return {
    "DELETE /api/2.0/mlflow/registered-models/delete": ({ body, who }) => empty(mlflow.deleteRegisteredModel(deps, body, who)),
    "DELETE /api/2.0/mlflow/model-versions/delete": ({ body, who }) => empty(mlflow.deleteModelVersion(deps, body, who)),
  };
}
