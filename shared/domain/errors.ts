/** A failure the caller can act on. `code` is stable API surface (README, "Routes"); shared/http/error-mapper.ts gives its HTTP status. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
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
  constructor(message: string, details: readonly FieldProblem[] = []) {
    super(message, details);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = "Forbidden";
}

export class ModelNotFoundError extends DomainError {
  readonly code = "ModelNotFound";
  constructor(
    name: string,
    message = `Model '${name}' does not exist. Create it with POST /models or register a version with POST /models/${name}/versions.`,
  ) {
    super(message);
  }

  /** A read of a model an admin is deleting: for readers it is gone already. */
  static beingDeleted(name: string): ModelNotFoundError {
    return new ModelNotFoundError(
      name,
      `Model '${name}' is being deleted. Its history stays readable (GET /models/${name}/history); once the deletion is done, the name can be registered again.`,
    );
  }
}

/** A change of a model an admin is deleting: refused from the deletion's first commit on. */
export class ModelBeingDeletedError extends DomainError {
  readonly code = "ModelBeingDeleted";
  constructor(name: string) {
    super(
      `Model '${name}' is being deleted: it takes no more changes. An admin's DELETE /models/${name} finishes the deletion; ` +
        "after that, registering under the name starts a new model from version 1.",
    );
  }
}

export class VersionNotFoundError extends DomainError {
  readonly code = "VersionNotFound";
  constructor(name: string, version: string | number) {
    super(`Model '${name}' has no version '${version}'. List its versions with GET /models/${name}/versions.`);
  }
}

export class RouteNotFoundError extends DomainError {
  readonly code = "RouteNotFound";
  constructor(method: string, path: string) {
    super(`No route ${method} ${path}. GET /openapi.json lists every route.`);
  }
}

export class ModelAlreadyExistsError extends DomainError {
  readonly code = "ModelAlreadyExists";
  constructor(name: string) {
    super(`Model '${name}' already exists. Register a new version with POST /models/${name}/versions.`);
  }
}

export class SemverConflictError extends DomainError {
  readonly code = "SemverConflict";
  constructor(name: string, semver: string) {
    super(`Model '${name}' already has a version labelled ${semver}. Choose another label or use "bump".`);
  }
}

export class ConcurrencyExhaustedError extends DomainError {
  readonly code = "ConcurrentModification";
  constructor(what: string) {
    super(`${what} kept conflicting with concurrent changes to the same model. Retry the request.`);
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = "PayloadTooLarge";
}

/** The function's time ran out before the request finished (API Gateway waits 30 s): what was done by then stays. */
export class RequestTimedOutError extends DomainError {
  readonly code = "RequestTimedOut";
  constructor() {
    super(
      "The request ran out of time before it finished, and part of it may have been done: read what it changes before " +
        "sending it again (with the same Idempotency-Key a repeat does nothing twice). A registration of many files that " +
        "runs out of time leaves a version short of files: delete it, or register with fewer files per version.",
    );
  }
}

export class StageEmptyError extends DomainError {
  readonly code = "StageEmpty";
  constructor(name: string, stage: string) {
    super(`Model '${name}' has no version in ${stage}. Move one there with POST /models/${name}/versions/{v}/transitions.`);
  }
}

export class AliasNotFoundError extends DomainError {
  readonly code = "AliasNotFound";
  constructor(name: string, alias: string) {
    super(`Model '${name}' has no alias '${alias}'. Set it with PUT /models/${name}/aliases/${alias}.`);
  }
}

/** Someone else changed Production since the caller looked: `details.actual` is what is there now. */
export class StageConflictError extends DomainError {
  readonly code = "StageConflict";
  constructor(name: string, expected: number | null, actual: number | null) {
    const seen = (v: number | null) => (v === null ? "no version" : `version ${v}`);
    super(
      `Production of '${name}' holds ${seen(actual)}, not ${seen(expected)} as this request expected: another change got in first. ` +
        `Look again and retry with expectedCurrentVersion ${actual}.`,
      {
        stage: "Production",
        expected,
        actual,
      },
    );
  }
}

export class TransitionNotAllowedError extends DomainError {
  readonly code = "TransitionNotAllowed";
}

export class VersionNotReadyError extends DomainError {
  readonly code = "VersionNotReady";
  constructor(
    name: string,
    version: number,
    status: string,
    rule = "only READY versions go to Staging or Production or get an alias. Finish its upload first, or clear it away (an admin archives or deletes it).",
  ) {
    super(`Version ${version} of '${name}' is ${status}: ${rule}`, { version, status });
  }

  /**
   * A download asked of a version whose bytes are not (yet) verified: what to do to get them. A
   * manifest of more files than one commit (`restartable` false) is not uploaded again once FAILED.
   */
  static forDownload(name: string, version: number, status: string, restartable = true): VersionNotReadyError {
    const path = `/models/${name}/versions/${version}/artifact`;
    const remedies: Record<string, string> = {
      FAILED: restartable
        ? `its bytes failed verification; upload them again (POST ${path}/upload)`
        : `its bytes failed verification, and a manifest of this many files is not uploaded again; delete it and register its files again`,
      VERIFYING: `its bytes are being verified; poll GET /models/${name}/versions/${version} until it is READY`,
    };
    const remedy = remedies[status] ?? `its upload is not finished; finish it (POST ${path}/complete)`;
    return new VersionNotReadyError(
      name,
      version,
      status,
      `only READY versions can be downloaded, and ${remedy}, or download another version (e.g. GET /models/${name}/versions/latest/artifact).`,
    );
  }
}

export class AliasConflictError extends DomainError {
  readonly code = "AliasConflict";
  constructor(name: string, alias: string, expected: number | null, actual: number | null) {
    const target = (v: number | null) => (v === null ? "nothing" : `version ${v}`);
    super(
      `Alias '${alias}' of '${name}' points to ${target(actual)}, not ${target(expected)} as this request expected. ` +
        `Look again and retry with expectedVersion ${actual}.`,
      {
        alias,
        expected,
        actual,
      },
    );
  }
}

export class NothingToRollBackError extends DomainError {
  readonly code = "NothingToRollBack";
}

/** One entry per failed rule of a promotion gate, so the caller sees everything to fix at once. */
export interface PolicyFailure {
  readonly rule: string;
  readonly message: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

export class PolicyViolationError extends DomainError {
  readonly code = "PolicyViolation";
  constructor(name: string, version: number, stage: string, failures: readonly PolicyFailure[], revision: number) {
    super(
      `Version ${version} of '${name}' does not meet the ${stage} gate of the promotion policy (revision ${revision}): ` +
        `${failures.map((f) => f.message).join("; ")}.`,
      failures,
    );
  }
}

/** history/at for an instant before the model's creation: nothing was registered yet, so there is nothing to answer. */
export class ModelNotYetCreatedError extends DomainError {
  readonly code = "ModelNotFound";
  constructor(name: string, time: string, createdAt: string) {
    super(`Model '${name}' did not exist yet at ${time}: it was created at ${createdAt}. Ask for an instant after that.`, {
      time,
      createdAt,
    });
  }
}

/** The caller sent this Idempotency-Key before, to the same route and path, with another body. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = "IdempotencyKeyReused";
  constructor(route: string) {
    super(
      `This Idempotency-Key was already used for ${route} with a different body. Use a new key for a new request; ` +
        `retry with the same key only with the same body.`,
    );
  }
}

export class IdempotencyKeyInProgressError extends DomainError {
  readonly code = "IdempotencyKeyInProgress";
  constructor(route: string) {
    super(`A request to ${route} with this Idempotency-Key is still being processed. Retry in a moment to get its answer.`);
  }
}

/** The version keeps its bytes elsewhere (`source`): there is no upload to finish and nothing to download here. */
export class ArtifactNotFoundError extends DomainError {
  readonly code = "ArtifactNotFound";
  constructor(
    name: string,
    version: number,
    source?: string,
    message = `Version ${version} of '${name}' has no uploaded artifact${source ? `: its bytes live at ${source}` : ""}.`,
  ) {
    super(message, { version, source });
  }

  /** The version holds no file at `path`: its files are listed by GET …/artifact. */
  static ofPath(name: string, version: number, path: string): ArtifactNotFoundError {
    return new ArtifactNotFoundError(
      name,
      version,
      undefined,
      `Version ${version} of '${name}' holds no file '${path}': GET /models/${name}/versions/${version}/artifact lists its files.`,
    );
  }
}

/** The bytes are not (all) in the bucket yet, or S3 refused to assemble the parts: the version stays PENDING_UPLOAD. */
export class UploadIncompleteError extends DomainError {
  readonly code = "UploadIncomplete";
}

/** The upload cannot take this step in the version's current state (e.g. it is READY, or FAILED and not restarted). */
export class UploadConflictError extends DomainError {
  readonly code = "UploadConflict";
}

/** A version still in use (outside Archived, or an alias's target) cannot be deleted. */
export class VersionInUseError extends DomainError {
  readonly code = "VersionInUse";
}
