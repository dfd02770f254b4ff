/** A failure the caller can act on. `code` is stable API surface (SPEC §5); `status` is its HTTP mapping. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  readonly code = "ValidationError";
  readonly status = 400;
  constructor(message: string, details: readonly FieldProblem[] = []) {
    super(message, details);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = "Forbidden";
  readonly status = 403;
}

export class ModelNotFoundError extends DomainError {
  readonly code = "ModelNotFound";
  readonly status = 404;
  constructor(name: string) {
    super(`Model '${name}' does not exist. Create it with POST /models or register a version with POST /models/${name}/versions.`);
  }
}

export class VersionNotFoundError extends DomainError {
  readonly code = "VersionNotFound";
  readonly status = 404;
  constructor(name: string, version: string | number) {
    super(`Model '${name}' has no version '${version}'. List its versions with GET /models/${name}/versions.`);
  }
}

export class RouteNotFoundError extends DomainError {
  readonly code = "RouteNotFound";
  readonly status = 404;
  constructor(method: string, path: string) {
    super(`No route ${method} ${path}. GET /openapi.json lists every route.`);
  }
}

export class ModelAlreadyExistsError extends DomainError {
  readonly code = "ModelAlreadyExists";
  readonly status = 409;
  constructor(name: string) {
    super(`Model '${name}' already exists. Register a new version with POST /models/${name}/versions.`);
  }
}

export class SemverConflictError extends DomainError {
  readonly code = "SemverConflict";
  readonly status = 409;
  constructor(name: string, semver: string) {
    super(`Model '${name}' already has a version labelled ${semver}. Choose another label or use "bump".`);
  }
}

export class ConcurrencyExhaustedError extends DomainError {
  readonly code = "ConcurrentModification";
  readonly status = 409;
  constructor(what: string) {
    super(`${what} kept conflicting with concurrent changes to the same model. Retry the request.`);
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = "PayloadTooLarge";
  readonly status = 413;
}
