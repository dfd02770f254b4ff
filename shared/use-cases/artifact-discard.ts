import { VERIFIER_FUNCTION } from "../functions";
import type { ArtifactDeps } from "./deps";

/**
 * How long a claim to delete an object holds: longer than any function that claims may run (the
 * verifier; API functions stop at API Gateway's 30 s), so a claimant past it is dead, and its claim
 * may be taken over (the object deleted again, or verified).
 */
const DISCARD_LEASE_MS = (VERIFIER_FUNCTION.timeoutSeconds + 60) * 1000;
export const discardLeaseEnd = (now: string): string => new Date(Date.parse(now) + DISCARD_LEASE_MS).toISOString();

/** A stored object: its content address and its key in the bucket. */
export interface StoredBytes {
  readonly sha256: string;
  readonly key: string;
}

/** Deletes the object under our committed claim, then releases the claim. */
export async function discardObject(deps: ArtifactDeps, artifact: StoredBytes, claim: number): Promise<void> {
  await deps.artifacts.delete(artifact.key);
  deps.metrics?.record("ArtifactObjectsDeleted");
  await deps.store.releaseArtifactDiscard(artifact.sha256, claim);
}
