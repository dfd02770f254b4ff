import type { RouteDefinition } from "./route";
import { createModelBody, modelPath, modelView, updateModelBody } from "../schemas/model";
import { registerVersionBody, registeredVersionView, updateVersionBody, versionPath, versionView } from "../schemas/version";
import { MLFLOW_CATALOG_ROUTES } from "../mlflow/routes/catalog";

/** The catalog function's routes (creating and editing models and versions): its handler imports these, not the whole table, so it loads no other function's schemas. */
export const catalogRoutes = [
  {
    method: "POST",
    path: "/models",
    function: "catalog",
    role: "publisher",
    operationId: "createModel",
    summary: "Create a model",
    request: { body: createModelBody },
    response: { status: 201, schema: modelView },
  },
  {
    method: "PATCH",
    path: "/models/{name}",
    function: "catalog",
    role: "publisher",
    operationId: "updateModel",
    summary: "Change a model's description or tags",
    request: { path: modelPath, body: updateModelBody },
    response: { status: 200, schema: modelView },
  },
  {
    method: "POST",
    path: "/models/{name}/versions",
    function: "catalog",
    role: "publisher",
    operationId: "registerVersion",
    summary: "Register a new version (creates the model if absent)",
    request: { path: modelPath, body: registerVersionBody },
    response: { status: 201, schema: registeredVersionView },
  },
  {
    method: "PATCH",
    path: "/models/{name}/versions/{v}",
    function: "catalog",
    role: "publisher",
    operationId: "updateVersion",
    summary: "Change a version's description or tags",
    request: { path: versionPath, body: updateVersionBody },
    response: { status: 200, schema: versionView },
  },
  ...MLFLOW_CATALOG_ROUTES,
] as const satisfies readonly RouteDefinition<"catalog">[];
