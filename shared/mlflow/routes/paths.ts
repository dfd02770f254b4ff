import { MLFLOW_PREFIX } from "../errors";

/**
 * MLflow's ModelRegistryService (docs/mlflow.md): each route runs on the function of its native
 * twin, with the role its twin needs, so the privilege boundaries stay where they are. POST
 * get-latest-versions only reads, but a POST keeps Idempotency-Key records: it runs on catalog,
 * which writes anyway, so that query stays read-only. Each function's MLflow routes are a module of
 * their own (./<function>.ts), spread into that function's routes (shared/routes/<function>.ts).
 */
export const registeredModels = `${MLFLOW_PREFIX}/registered-models`;
export const modelVersions = `${MLFLOW_PREFIX}/model-versions`;
