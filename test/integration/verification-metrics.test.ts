import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { recordingMetrics, roleCaller, sha256 } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";
import { registerVersionBody } from "../../shared/schemas/version";
import { completeAndVerify, storeAt } from "../support/verification";
import { registerVersion } from "../../shared/use-cases/register-version";

const ci = roleCaller("training-ci", "req-1");
const registry = useTestRegistry();

describe("verification metrics", () => {
  it("count a failed verification with the bytes it checked, and the unverified object it deleted", async () => {
    const metrics = recordingMetrics();
    const deps = { ...registry.deps, metrics };
    const name = uniqueModelName("fraud_detector");
    const declared = randomBytes(4096);
    await registerVersion(
      deps,
      name,
      registerVersionBody.parse({ artifact: { filename: "model.tar.gz", sizeBytes: declared.length, sha256: sha256(declared) } }),
      ci,
    );
    // Other bytes of the same size under the declared digest's key: the registry hashes them itself.
    await storeAt(registry, sha256(declared), randomBytes(4096));

    const failed = await completeAndVerify(deps, name, { number: 1 }, ci);

    expect(failed.status).toBe("FAILED");
    expect(metrics.recorded.map(([metric]) => metric)).toEqual([
      "HashingSeconds",
      "VerificationsFailed",
      "BytesVerified",
      "ArtifactObjectsDeleted",
    ]);
    expect(metrics.recorded).toContainEqual(["BytesVerified", 4096]);
  });

  it("count a READY manifest written in chunks with the bytes of all its files, each counted on the tally", async () => {
    const metrics = recordingMetrics();
    const deps = { ...registry.deps, metrics };
    const name = uniqueModelName("sharded");
    // More files than one commit settles: the manifest is written in chunks.
    const files = Array.from({ length: 70 }, (_, i) => randomBytes(100 + i));
    const totalBytes = files.reduce((sum, bytes) => sum + bytes.length, 0);
    await registerVersion(
      deps,
      name,
      registerVersionBody.parse({
        files: files.map((bytes, i) => ({ path: `shards/${i}.bin`, sizeBytes: bytes.length, sha256: sha256(bytes) })),
      }),
      ci,
    );
    await Promise.all(files.map((bytes) => storeAt(registry, sha256(bytes), bytes)));

    const ready = await completeAndVerify(deps, name, { number: 1 }, ci);

    expect(ready.status).toBe("READY");
    expect(await deps.store.getVerificationTally(name, 1)).toMatchObject({ filesVerified: 70, bytesVerified: totalBytes });
    expect(metrics.recorded.filter(([metric]) => metric !== "HashingSeconds")).toEqual([
      ["VerificationsSucceeded", 1],
      ["BytesVerified", totalBytes],
    ]);
  }, 120_000);
});
