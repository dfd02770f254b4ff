/**
 * The errors the SDK throws. A caller tells them apart by class, and for the API's own errors by
 * `code` (README, Routes: the registry's error codes), never by parsing messages.
 */

/** Everything the SDK throws on purpose derives from this. */
export class RegistryClientError extends Error {
  override readonly name: string = "RegistryClientError";
}

/** The registry answered with an error: `{ error: { code, message, details?, requestId } }` (or API Gateway's `{ message }`). */
export class RegistryApiError extends RegistryClientError {
  override readonly name = "RegistryApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

/** The registry (or S3) could not be reached, or kept failing with 5xx / 429, after every retry; or what answered is no registry. */
export class RegistryUnavailableError extends RegistryClientError {
  override readonly name = "RegistryUnavailableError";
  constructor(
    message: string,
    readonly attempts: number,
    options?: ErrorOptions,
    /** The registry that gave no answer; absent when it was S3 (a presigned transfer). */
    readonly registryUrl?: URL,
  ) {
    super(message, options);
  }
}

/** The bytes are not what the registry declared or verified: a download whose SHA-256 or size differs, a FAILED verification. */
export class IntegrityError extends RegistryClientError {
  override readonly name = "IntegrityError";
}

/** The caller asked for something the SDK refuses before any request (an empty file, a bad option). */
export class UsageError extends RegistryClientError {
  override readonly name = "UsageError";
}

/**
 * The registry's verification of a version did not move for as long as the caller would wait: the
 * version stays registered and VERIFYING, and settles when its verification tasks run.
 */
export class VerificationPendingError extends RegistryClientError {
  override readonly name = "VerificationPendingError";
  constructor(
    message: string,
    readonly model: string,
    readonly version: number,
  ) {
    super(message);
  }
}
