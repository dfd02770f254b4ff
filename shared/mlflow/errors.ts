import { DomainError } from "../domain/errors";
import type { ErrorCode } from "../domain/error-code";

/** The MLflow error codes this API answers with (MLflow's `databricks.proto` ErrorCode names). */
export type MlflowErrorCode =
  | "INVALID_PARAMETER_VALUE"
  | "RESOURCE_DOES_NOT_EXIST"
  | "RESOURCE_ALREADY_EXISTS"
  | "INVALID_STATE"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "ENDPOINT_NOT_FOUND"
  | "ABORTED"
  | "TEMPORARILY_UNAVAILABLE"
  | "INTERNAL_ERROR";

/**
 * The HTTP status of each code, as MLflow's server answers, but for INVALID_STATE: MLflow's server
 * answers it with 500, which MLflow's client retries seven times with backoff. A refused move or
 * a failed gate is not transient, so it is a 400 here.
 */
export const MLFLOW_HTTP_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  ENDPOINT_NOT_FOUND: 404,
  ABORTED: 409,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const satisfies Record<MlflowErrorCode, number>;

/** Each native error code's MLflow twin. It does not compile while a native code is missing. */
const MLFLOW_CODE_BY_NATIVE = {
  ValidationError: "INVALID_PARAMETER_VALUE",
  Forbidden: "PERMISSION_DENIED",
  ModelNotFound: "RESOURCE_DOES_NOT_EXIST",
  VersionNotFound: "RESOURCE_DOES_NOT_EXIST",
  RouteNotFound: "ENDPOINT_NOT_FOUND",
  StageEmpty: "RESOURCE_DOES_NOT_EXIST",
  AliasNotFound: "RESOURCE_DOES_NOT_EXIST",
  ArtifactNotFound: "RESOURCE_DOES_NOT_EXIST",
  ModelAlreadyExists: "RESOURCE_ALREADY_EXISTS",
  SemverConflict: "RESOURCE_ALREADY_EXISTS",
  // Another change got in first: MLflow's code for a concurrent modification, not retried by its client.
  StageConflict: "ABORTED",
  AliasConflict: "ABORTED",
  // The commit engine retried for 25 s already; MLflow's client retries a 503 once more on its own.
  ConcurrentModification: "TEMPORARILY_UNAVAILABLE",
  TransitionNotAllowed: "INVALID_STATE",
  VersionNotReady: "INVALID_STATE",
  NothingToRollBack: "INVALID_STATE",
  IdempotencyKeyReused: "INVALID_PARAMETER_VALUE",
  IdempotencyKeyInProgress: "ABORTED",
  UploadIncomplete: "INVALID_STATE",
  UploadConflict: "INVALID_STATE",
  VersionInUse: "INVALID_STATE",
  ModelBeingDeleted: "INVALID_STATE",
  PayloadTooLarge: "INVALID_PARAMETER_VALUE",
  PolicyViolation: "INVALID_STATE",
  RequestTimedOut: "TEMPORARILY_UNAVAILABLE",
} as const satisfies Record<ErrorCode, MlflowErrorCode>;

/** A refusal only the MLflow API makes (a rename, a model deletion), with the MLflow code it carries. */
export class MlflowRefusal extends DomainError {
  readonly code = "MlflowRefusal";
  readonly status: number;
  constructor(
    readonly errorCode: MlflowErrorCode,
    message: string,
  ) {
    super(message);
    this.status = MLFLOW_HTTP_STATUS[errorCode];
  }
}

export interface MlflowErrorBody {
  readonly error_code: MlflowErrorCode;
  readonly message: string;
}

/** An error as MLflow's server shapes it: `{error_code, message}` with the code's status. Unknown errors say only the request id. */
export function mlflowError(error: unknown, requestId: string | undefined): { status: number; body: MlflowErrorBody } {
  const code = mlflowCodeOf(error);
  const message =
    code === "INTERNAL_ERROR" ? `Internal error. Quote request id ${requestId} when reporting it.` : (error as DomainError).message;
  return { status: MLFLOW_HTTP_STATUS[code], body: { error_code: code, message } };
}

function mlflowCodeOf(error: unknown): MlflowErrorCode {
  if (error instanceof MlflowRefusal) return error.errorCode;
  if (!(error instanceof DomainError)) return "INTERNAL_ERROR";
  return (MLFLOW_CODE_BY_NATIVE as Record<string, MlflowErrorCode>)[error.code] ?? "INTERNAL_ERROR";
}

/** What a gateway's own refusals (before any handler runs) mean to MLflow's client, by their HTTP status. */
export function mlflowGatewayRefusal(status: number, message: string): MlflowErrorBody {
  const code: MlflowErrorCode =
    status === 401
      ? "UNAUTHENTICATED"
      : status === 403
        ? "PERMISSION_DENIED"
        : status === 404
          ? "ENDPOINT_NOT_FOUND"
          : "INVALID_PARAMETER_VALUE";
  return { error_code: code, message };
}

/** Every route of the MLflow-compatible API lives under this prefix, as MLflow's clients expect. */
export const MLFLOW_PREFIX = "/api/2.0/mlflow";

/** Whether a route key (`POST /api/2.0/mlflow/…`) is one of the MLflow-compatible routes, which answer errors in MLflow's shape. */
export const isMlflowRouteKey = (routeKey: string | undefined): boolean => isMlflowPath(routeKey?.split(" ")[1]);

/** Whether a request path (or target, with its query) is under the MLflow-compatible API's prefix. */
export const isMlflowPath = (path: string | undefined): boolean => path?.startsWith(`${MLFLOW_PREFIX}/`) ?? false;
