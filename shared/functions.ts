/**
 * The API's functions, each a privilege boundary: it gets only the grants its routes need
 * (shared/routes/<function>.ts).
 */
export const FUNCTIONS = {
  query: { description: "Read-only routes", grants: ["readTable"] },
  // Registration counts references to the bytes it declares, checks the bucket for bytes it already holds, starts multipart uploads and presigns their URLs.
  // Declaring a key metric indexes the model's existing versions in batches.
  catalog: {
    description: "Create and edit models and versions",
    grants: ["readTable", "writeTable", "indexKeyMetrics", "writeArtifactRefs", "presignUploads", "readArtifacts"],
  },
  lifecycle: {
    description: "Stage moves, rollback, aliases, approvals, promotion policy, retention rules and protection",
    grants: ["readTable", "writeTable"],
  },
  // Completing an upload checks the objects (listing pages, HEAD where a listing cannot tell) and hands their verification to the verifier's queue: nothing here hashes.
  artifacts: {
    description: "Artifact uploads, verification, version and model deletion",
    grants: [
      "readTable",
      "writeTable",
      "writeArtifactRefs",
      "presignUploads",
      "readArtifacts",
      "listArtifacts",
      "deleteArtifacts",
      "abortUploads",
      "sendVerificationTasks",
    ],
  },
  // Readers' downloads: presigning a GET needs s3:GetObject, and nothing here may change or delete an object.
  downloads: { description: "Presigned artifact downloads (read-only)", grants: ["readTable", "readArtifacts"] },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

/**
 * The verifier: not behind the API, fed by the verification queue. It reads artifacts (ranged GETs),
 * writes the table (progress, READY/FAILED) and deletes bytes that failed; a task hashes for its
 * time budget (VERIFY_BUDGET_SECONDS), within this timeout, on a whole vCPU.
 */
export const VERIFIER_FUNCTION = {
  description: "Verifies uploaded artifacts: resumable SHA-256 over ranged GETs",
  grants: ["readTable", "writeTable", "writeArtifactRefs", "readArtifacts", "deleteArtifacts"],
  memoryMb: 1769,
  timeoutSeconds: 900,
} as const;
/** A verifier task runs at most its timeout: a file whose progress has not moved for longer lost its task. */
export const VERIFICATION_STALLED_AFTER_MS = (VERIFIER_FUNCTION.timeoutSeconds + 60) * 1000;
/**
 * Housekeeping: not behind the API, run on a schedule. It reads models' versions and rules, deletes
 * versions through the same transaction as DELETE …/versions/{v} (reference counts included), and
 * deletes their objects and open multipart uploads; it never reads or writes bytes.
 */
export const HOUSEKEEPING_FUNCTION = {
  description: "Applies models' retention rules: deletes the versions they name, within each run's bounds",
  grants: ["readTable", "writeTable", "writeArtifactRefs", "deleteArtifacts", "abortUploads"],
  timeoutSeconds: 600,
} as const;

export type Grant = (typeof FUNCTIONS)[FunctionName]["grants"][number];
