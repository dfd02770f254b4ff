import { artifactsRoutes } from "./routes/artifacts";
import { catalogRoutes } from "./routes/catalog";
import { downloadsRoutes } from "./routes/downloads";
import { lifecycleRoutes } from "./routes/lifecycle";
import { queryRoutes } from "./routes/query";
import type { RouteDefinition } from "./routes/route";

export { FUNCTIONS, HOUSEKEEPING_FUNCTION, VERIFIER_FUNCTION, type FunctionName, type Grant } from "./functions";
export { ROLES, type Role } from "./domain/permissions";
export { isWriteRoute, routeKey, type HttpMethod, type RouteDefinition } from "./routes/route";

/**
 * The one route table, assembled from each function's routes (shared/routes/<function>.ts, MLflow's
 * from shared/mlflow/routes.ts): the CDK API stack, the local gateway, the OpenAPI document and the
 * client SDK read it whole. A function's handler imports only its own part: a cold start does not
 * build every other function's schemas.
 */
export const routes = [
  ...queryRoutes,
  ...catalogRoutes,
  ...lifecycleRoutes,
  ...artifactsRoutes,
  ...downloadsRoutes,
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type RouteKey = `${Route["method"]} ${Route["path"]}`;
