import type { NamingPolicyMode, UploadSettings } from "../config";
import type { Actor } from "../domain/actor";
import type { RegistryStore } from "../store/registry-store";
import type { ArtifactBucket } from "../store/artifact-bucket";
import type { Listings } from "../store/listings";
import type { MetricsRecorder } from "../metrics";
import type { VerificationQueue } from "../store/verification-queue";

/** What every use case may use; the Lambda handlers and the local server build it from config. */
export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly namingPolicy: NamingPolicyMode;
}

/** What the query function's listings use in addition (history, a stage's versions, approvals, lineage). */
export interface ListingDeps extends RegistryDeps {
  readonly listings: Listings;
}

/** What use cases that touch artifact bytes use in addition (registration, uploads, downloads, deletion). */
export interface ArtifactDeps extends RegistryDeps {
  readonly artifacts: ArtifactBucket;
  readonly uploads: UploadSettings;
  /** Where completing an upload sends its file verification tasks. */
  readonly verifications: VerificationQueue;
  /** Verifications and deletions are counted here (default: not at all). */
  readonly metrics?: MetricsRecorder;
}

export type { Actor };
