import { describe, expect, it } from "vitest";
import { DEFAULT_UPLOAD_SETTINGS } from "../../shared/config";
import type { ArtifactRefItem } from "../../shared/store/entities/artifact";
import { HEADS_AT_ONCE, declaredManifest, manifestPreparer } from "../../shared/use-cases/artifact-uploads";
import type { ArtifactDeps } from "../../shared/use-cases/deps";

const digest = (i: number) => i.toString(16).padStart(64, "0");
const verifiedRef = (sha256: string): ArtifactRefItem => ({
  pk: `ARTIFACT#${sha256}`,
  sk: "ARTIFACT",
  entity: "artifactRef",
  schemaVersion: 1,
  sha256,
  key: `artifacts/sha256/${sha256}`,
  refCount: 1,
  verifiedAt: "2026-11-22T10:00:00.000Z",
  sizeBytes: 10,
});

/** Deps whose every reference says verified and whose bucket holds every object, counting the HEADs in flight at once. */
function heldEverywhere() {
  const heads = { inFlight: 0, most: 0, total: 0 };
  const store = { getArtifactRefs: async (digests: readonly string[]) => new Map(digests.map((sha256) => [sha256, verifiedRef(sha256)])) };
  const artifacts = {
    head: async () => {
      heads.total++;
      heads.most = Math.max(heads.most, ++heads.inFlight);
      await Promise.resolve();
      heads.inFlight--;
      return { sizeBytes: 10 };
    },
  };
  const deps = { store, artifacts, uploads: DEFAULT_UPLOAD_SETTINGS } as unknown as ArtifactDeps;
  return { deps, heads };
}

describe("deciding which of a manifest's objects are held", () => {
  it(`sends the HEADs of 500 verified objects ${HEADS_AT_ONCE} at once, where S3's round trips bound them, and uploads none`, async () => {
    const { deps, heads } = heldEverywhere();
    const files = declaredManifest(
      deps,
      Array.from({ length: 500 }, (_, i) => ({ path: `shards/${i}.bin`, sizeBytes: 10, sha256: digest(i) })),
    );

    const prepared = await manifestPreparer(deps, files)();

    expect(prepared.allStored).toBe(true);
    expect(heads).toEqual({ inFlight: 0, most: 48, total: 500 });
  });
});
