import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../../shared/s3-client";
import { artifactRefKey } from "../../shared/store/entities/artifact";
import { putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { useTestRegistry, uniqueModelName, type TestRegistry } from "../support/registry";
import { GiB, artifactObjectKey } from "../../shared/domain/artifacts";
import { UploadConflictError, UploadIncompleteError } from "../../shared/domain/errors";
import { registerVersionBody } from "../../shared/schemas/version";
import type { VersionView } from "../../shared/schemas/version";
import type { VerifierDeps } from "../../shared/use-cases/verify-file";
import { completeAndVerify, storedDigest } from "../support/verification";
import { registerVersion } from "../../shared/use-cases/register-version";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { restartUpload } from "../../shared/use-cases/restart-upload";
import { transitionVersion } from "../../shared/use-cases/transition-version";

/**
 * Two uploads of the same content address racing: one verifying the right bytes, the other failing
 * and cleaning up. Whatever the interleaving, a READY version's object must be in the bucket.
 */
const ci = roleCaller("training-ci", "req-race");

const registry = useTestRegistry({ uploads: { urlExpirySeconds: 900, maxArtifactBytes: GiB } });

const declare = (name: string, bytes: Buffer, sizeBytes = bytes.length) =>
  registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes, sha256: sha256(bytes) } }),
    ci,
  );

/**
 * Completes, then runs the verification: the version as it settled. A verification that could not
 * vouch for the bytes (their deletion was claimed meanwhile) leaves the version waiting for them
 * again: that is thrown as the UploadConflict a synchronous completion answered, so each race reads as before.
 */
async function complete(deps: VerifierDeps, name: string, version = 1): Promise<VersionView> {
  const settled = await completeAndVerify(deps, name, { number: version }, ci);
  if (settled.status === "PENDING_UPLOAD") throw new UploadConflictError(settled.artifact?.failureReason ?? "", { status: settled.status });
  return settled;
}

/** The bucket holds these bytes under their address, whole. */
async function storedSha256(bytes: Buffer): Promise<string | undefined> {
  return (await storedDigest(registry.deps, artifactObjectKey(sha256(bytes))))?.sha256;
}

/** The registry's dependencies with operations of one bucket port (its uploads and objects, or the verifier's reads) wrapped, the rest as they are. */
function withBucket<P extends "artifacts" | "artifactReads">(port: P, overrides: Partial<VerifierDeps[P]>): TestRegistry["deps"] {
  return { ...registry.deps, [port]: Object.assign(Object.create(registry.deps[port]) as VerifierDeps[P], overrides) };
}

/** `then` runs once, after the first ranged read of the object completes and before its bytes are hashed. */
const afterFirstRead = (then: () => Promise<void>): Partial<VerifierDeps["artifactReads"]> => {
  let first = true;
  return {
    readRange: async (key: string, start: number, end: number) => {
      const bytes = await registry.deps.artifactReads.readRange(key, start, end);
      if (first) {
        first = false;
        await then();
      }
      return bytes;
    },
  };
};

/** What a client does after a 409 UploadConflict: upload again, then complete. */
async function uploadAgainAndComplete(name: string, version: number, bytes: Buffer): Promise<VersionView> {
  const restarted = await restartUpload(registry.deps, name, { number: version }, {}, ci);
  if (restarted.upload) await putBytes(singlePut(restarted.upload), bytes);
  return complete(registry.deps, name, version);
}

/**
 * A failing completion's view of the bucket: S3 reports other bytes under the address (a size declared
 * wrong alone no longer deletes bytes another version declares, so the clean-up needs bytes shown wrong).
 */
const otherBytesReported: Partial<VerifierDeps["artifacts"]> = {
  head: async (key: string) => {
    const stored = await registry.deps.artifacts.head(key);
    return stored && { ...stored, sha256: "0".repeat(64) };
  },
};

/** Version 1 of `good` declares the right size and uploads the bytes; version 1 of `bad` declares the same digest with one byte more. */
async function sameDigestTwoSizes(bytes: Buffer): Promise<{ good: string; bad: string }> {
  const good = uniqueModelName("fraud_detector");
  const bad = uniqueModelName("churn_scorer");
  await putBytes(singlePut((await declare(good, bytes)).upload), bytes);
  await declare(bad, bytes, bytes.length + 1);
  return { good, bad };
}

describe("a failed upload's clean-up racing a verification of the same bytes", () => {
  it("never deletes bytes a verification committed while the failed upload was about to delete them", async () => {
    const bytes = randomBytes(256 * 1024);
    const { good, bad } = await sameDigestTwoSizes(bytes);
    let goodOutcome: unknown;
    // The failed completion reaches its delete; the other completion runs to its end right there.
    const failing = withBucket("artifacts", {
      ...otherBytesReported,
      delete: async (key: string) => {
        goodOutcome = await complete(registry.deps, good).catch((error: unknown) => error);
        return registry.deps.artifacts.delete(key);
      },
    });

    expect((await complete(failing, bad)).status).toBe("FAILED");

    if (goodOutcome instanceof UploadConflictError) {
      expect(goodOutcome.message).toMatch(/upload the bytes again/i);
      expect(await uploadAgainAndComplete(good, 1, bytes)).toMatchObject({ status: "READY" });
    } else {
      expect(goodOutcome).toMatchObject({ status: "READY" });
    }
    expect(await storedSha256(bytes)).toBe(sha256(bytes));
  });

  it("refuses to vouch for bytes whose deletion was claimed and carried out while they were being hashed", async () => {
    const bytes = randomBytes(256 * 1024);
    const { good, bad } = await sameDigestTwoSizes(bytes);
    // The good completion has hashed the bytes; the failed completion runs to its end before it commits.
    const hashing = withBucket(
      "artifactReads",
      afterFirstRead(async () => {
        expect((await complete(withBucket("artifacts", otherBytesReported), bad)).status).toBe("FAILED");
      }),
    );

    const outcome = await complete(hashing, good).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(UploadConflictError);
    expect(await uploadAgainAndComplete(good, 1, bytes)).toMatchObject({ status: "READY" });
    expect(await storedSha256(bytes)).toBe(sha256(bytes));
  });

  it("keeps every READY version's bytes over 12 rounds of concurrent completions, and every version ends READY after a retry", async () => {
    for (let round = 0; round < 12; round++) {
      const bytes = randomBytes(64 * 1024 + round);
      const { good, bad } = await sameDigestTwoSizes(bytes);

      const [goodOutcome, badOutcome] = await Promise.all([
        complete(registry.deps, good).catch((e: unknown) => e),
        complete(registry.deps, bad),
      ]);

      expect(badOutcome.status).toBe("FAILED");
      // Told to upload again: the bytes were being removed when it verified (UploadConflict), or already gone when it looked (UploadIncomplete).
      if (goodOutcome instanceof UploadConflictError || goodOutcome instanceof UploadIncompleteError)
        expect(await uploadAgainAndComplete(good, 1, bytes)).toMatchObject({ status: "READY" });
      else expect(goodOutcome).toMatchObject({ status: "READY" });
      expect(await storedSha256(bytes), `round ${round}`).toBe(sha256(bytes));
    }
  }, 60_000);
});

describe("a failed completion whose object was replaced after it hashed it", () => {
  it("leaves the new upload alone: the bytes it found wrong are gone, the ones there now were never hashed by it", async () => {
    const right = randomBytes(96 * 1024);
    const wrong = randomBytes(right.length);
    const [first, second, good] = [uniqueModelName("fraud_detector"), uniqueModelName("churn_scorer"), uniqueModelName("ranker")];
    for (const name of [first, second]) await declare(name, right);
    const goodUpload = singlePut((await declare(good, right)).upload);
    // Bytes under the address that are not what it says (in AWS: a multipart upload whose parts add up to other bytes).
    const s3 = createS3Client(registry.config);
    await s3.send(new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(sha256(right)), Body: wrong }));
    s3.destroy();
    // The second completion has hashed the wrong bytes; before it commits, the first one fails and
    // removes them, and the good version uploads the right ones.
    const hashedThenReplaced = withBucket(
      "artifactReads",
      afterFirstRead(async () => {
        expect((await complete(registry.deps, first)).status).toBe("FAILED");
        await putBytes(goodUpload, right);
      }),
    );

    expect((await complete(hashedThenReplaced, second)).status).toBe("FAILED");

    expect(await complete(registry.deps, good)).toMatchObject({ status: "READY" });
    expect(await storedSha256(right)).toBe(sha256(right));
  });
});

describe("a deletion claim left by a completion that died", () => {
  /** Leaves a claim on the bytes' reference as a completion that died after committing it would. */
  const claimLeftBehind = (bytes: Buffer, until: Date) =>
    registry.setAttributes(artifactRefKey(sha256(bytes)), { generation: 1, discardingUntil: until.toISOString() });

  it("blocks verification while the claim holds, and lets it through once the claim has expired", async () => {
    const bytes = randomBytes(64 * 1024);
    const name = uniqueModelName("fraud_detector");
    await putBytes(singlePut((await declare(name, bytes)).upload), bytes);

    await claimLeftBehind(bytes, new Date(Date.now() + 60_000));
    await expect(complete(registry.deps, name)).rejects.toBeInstanceOf(UploadConflictError);

    await claimLeftBehind(bytes, new Date(Date.now() - 1_000));
    expect(await complete(registry.deps, name)).toMatchObject({ status: "READY" });
    expect(await storedSha256(bytes)).toBe(sha256(bytes));
  });
});

describe("deleting the last reference racing a new upload of the same bytes", () => {
  it("never deletes bytes a new version verified while the deletion was under way", async () => {
    const bytes = randomBytes(128 * 1024);
    const old = uniqueModelName("ranker");
    await putBytes(singlePut((await declare(old, bytes)).upload), bytes);
    await complete(registry.deps, old);
    await transitionVersion(registry.deps, old, { number: 1 }, { to: "Archived", reason: "retired", archiveExisting: false }, ci);
    const fresh = uniqueModelName("recommender");
    let freshOutcome: unknown;
    // The deletion has committed and reaches S3; meanwhile the same bytes are declared again and completed.
    const deleting = withBucket("artifacts", {
      delete: async (key: string) => {
        const registered = await declare(fresh, bytes);
        // The object is still there: S3 refuses this PUT (If-None-Match), s3rver stores the same bytes again.
        if (registered.upload?.method === "PUT")
          await fetch(registered.upload.url, { method: "PUT", headers: registered.upload.headers, body: bytes });
        freshOutcome = await complete(registry.deps, fresh).catch((error: unknown) => error);
        return registry.deps.artifacts.delete(key);
      },
    });

    expect(await deleteVersion(deleting, old, { number: 1 }, ci)).toMatchObject({ deleted: true, artifactDeleted: true });

    if (freshOutcome instanceof UploadConflictError)
      expect(await uploadAgainAndComplete(fresh, 1, bytes)).toMatchObject({ status: "READY" });
    else expect(freshOutcome).toMatchObject({ status: "READY" });
    expect(await storedSha256(bytes)).toBe(sha256(bytes));
  });
});
