import type { MetricUnit } from "@aws-lambda-powertools/metrics/types";

/**
 * What the registry measures: one metric per question an operator asks (how often do changes
 * contend, how many verifications fail, how much was hashed, what was deleted, what did not reach
 * the bus). Use cases and the publisher record through this port; the composition roots back it
 * with Powertools Metrics (shared/telemetry.ts).
 */
export const METRIC_UNITS = {
  /** A model change re-planned after contention. */
  ModelChangeRetries: "Count",
  /** A model change refused by a guarded write's named conflict. */
  ModelChangeConflicts: "Count",
  /** A model change that gave up: contention outlasted the retry deadline (409 ConcurrentModification). */
  ModelChangeGaveUp: "Count",
  /** A change whose turn ended without a commit and could not say so: later changes of the model waited for its queue to stall. */
  ModelTurnsLeftOpen: "Count",
  VerificationsSucceeded: "Count",
  VerificationsFailed: "Count",
  /**
   * Bytes of artifacts whose verification ended (either way), however they were checked: by S3's
   * full-object SHA-256 (single PUTs), an earlier verification of the same bytes, or hashing.
   */
  BytesVerified: "Bytes",
  /**
   * Time the registry spent hashing objects itself, where S3 reported no full-object SHA-256 (multipart
   * objects): files S3's checksum settled add none, so BytesVerified over it is no hashing rate.
   */
  HashingSeconds: "Seconds",
  ArtifactObjectsDeleted: "Count",
  /** Event entries PutEvents refused at least once and that were put again. */
  EventsRetried: "Count",
  EventsDeadLettered: "Count",
  /** Records that could not even be dead-lettered: the stream delivers them again. */
  EventsUndelivered: "Count",
} as const satisfies Record<string, MetricUnit>;

export type MetricName = keyof typeof METRIC_UNITS;

export interface MetricsRecorder {
  /** Adds `value` (1 unless said) to the metric, in the unit METRIC_UNITS gives it. */
  record(name: MetricName, value?: number): void;
}

/** Records nothing: locally, in tests, and wherever no namespace is configured. */
export const NO_METRICS: MetricsRecorder = { record: () => undefined };
