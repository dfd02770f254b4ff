import type { RouteInput, RouteResult } from "../http/api-handler";
import type { FunctionName } from "../functions";
import type { Route } from "../routes";
import type { MLFLOW_PREFIX } from "./errors";

type MlflowRoute = Extract<Route, { path: `${typeof MLFLOW_PREFIX}/${string}` }>;

/** The MLflow routes one function serves, each translated to one call of ./registry.ts (./deletions.ts for the artifacts function). */
export type MlflowAdapters<F extends FunctionName> = {
  [R in Extract<MlflowRoute, { function: F }> as `${R["method"]} ${R["path"]}`]: (input: RouteInput<R>) => Promise<RouteResult>;
};

/** MLflow answers 200 with the response message, `{}` when it is empty. */
export const ok = (body: object): RouteResult => ({ status: 200, body });
export const empty = async (work: Promise<void>): Promise<RouteResult> => {
  await work;
  return ok({});
};
