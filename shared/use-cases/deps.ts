import type { NamingPolicyMode, UploadSettings } from "../config";
import type { Actor } from "../domain/actor";
import type { RegistryStore } from "../store/registry-store";
import type { ArtifactBucket } from "../store/artifact-bucket";
import type { ArtifactDownloads } from "../store/artifact-downloads";
import type { KeyMetricBackfill } from "../store/key-metric-backfill";
import type { Listings } from "../store/listings";
import type { PromotionReads } from "../store/promotion-reads";
import type { RemovalReads } from "../store/removal-reads";
import type { RetentionReads } from "../store/retention-reads";
import type { MetricsRecorder } from "../metrics";
import type { VerificationQueue } from "../store/verification-queue";

/** What every use case may use; the Lambda handlers and the local server build it from config. */
export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly namingPolicy: NamingPolicyMode;
}

/**
 * Store ports only some functions use, each built only by those functions' composition roots
 * (../composition.ts, ../artifacts-composition.ts): a use case names the ones it reads.
 */

/** What the query function's listings use in addition (history, a stage's versions, approvals, lineage, versions by a key metric). */
export interface ListingDeps extends RegistryDeps {
  readonly listings: Listings;
}

/** What retention uses in addition: a model's rules, every version a plan reads, and the version a rollback would put back. */
export interface RetentionDeps extends RegistryDeps {
  readonly retentionReads: RetentionReads;
  readonly promotionReads: PromotionReads;
}

/** What a promotion's policy gate and a rollback read in addition: the policy, approvals, and the move undone. */
export interface PromotionDeps extends RegistryDeps {
  readonly promotionReads: PromotionReads;
}

/** What declaring a key metric uses in addition: indexing the versions a model already has. */
export interface KeyMetricDeps extends RegistryDeps {
  readonly keyMetricBackfill: KeyMetricBackfill;
}

/** What use cases that touch artifact bytes use in addition (registration, uploads, verification, deletion). */
export interface ArtifactDeps extends RegistryDeps {
  readonly artifacts: ArtifactBucket;
  readonly uploads: UploadSettings;
  /** Where completing an upload sends its file verification tasks. */
  readonly verifications: VerificationQueue;
  /** Verifications and deletions are counted here (default: not at all). */
  readonly metrics?: MetricsRecorder;
}

/** What downloads use in addition: presigned GETs (the downloads function). */
export interface DownloadDeps extends RegistryDeps {
  readonly downloads: ArtifactDownloads;
}

/** What deleting versions and models reads in addition to the artifacts' dependencies (the artifacts and housekeeping functions). */
export interface RemovalDeps extends ArtifactDeps {
  readonly removalReads: RemovalReads;
}

export type { Actor };
