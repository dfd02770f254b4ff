import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { roleCaller, sha256 } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { getArtifactDownload } from "../../shared/use-cases/get-artifact-download";

/** Versions whose bytes never became READY: what a reader is told, and how an admin clears them away. */
const ci = roleCaller("training-ci", "req-1");
const registry = useTestRegistry();

const registerPending = (name: string, bytes = randomBytes(1024)) =>
  registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes) } }),
    ci,
  );

describe("a download of a version that is not READY", () => {
  it("answers 409 VersionNotReady speaking of downloads: how to finish the upload, or which version to download instead", async () => {
    const name = uniqueModelName("fraud_detector");
    const pending = await registerPending(name);

    await expect(getArtifactDownload(registry.deps, name, { number: pending.version })).rejects.toMatchObject({
      code: "VersionNotReady",
      status: 409,
      message:
        `Version 1 of '${name}' is PENDING_UPLOAD: only READY versions can be downloaded, and its upload is not finished; ` +
        `finish it (POST /models/${name}/versions/1/artifact/complete), or download another version (e.g. GET /models/${name}/versions/latest/artifact).`,
    });
  });
});
