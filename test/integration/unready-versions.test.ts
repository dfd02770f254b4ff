import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { MiB } from "../../shared/domain/artifacts";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { getArtifactDownload } from "../../shared/use-cases/get-artifact-download";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { listHistory } from "../../shared/use-cases/list-history";
import { registerFailedVersion, runQueued } from "../support/verification";

/** Versions whose bytes never became READY: what a reader is told, and how an admin clears them away. */
const ci = roleCaller("training-ci", "req-1");
const registry = useTestRegistry();

const registerPending = (name: string, bytes = randomBytes(1024), extra: Record<string, unknown> = {}) =>
  registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes), ...extra } }),
    ci,
  );
const archive = (name: string, version: number) =>
  transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "upload abandoned", archiveExisting: false }, ci);
const itemsOf = async (name: string) => (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
const refOf = async (hex: string) => (await registry.items()).find((item) => item.pk === `ARTIFACT#${hex}`);
const newestHistory = async (name: string) => (await listHistory(registry.deps, name, { limit: 1 })).items[0];

const registerFailed = (name: string) => registerFailedVersion(registry, name, ci);

describe("a download of a version that is not READY", () => {
  it("answers 409 VersionNotReady speaking of downloads: how to finish the upload, or which version to download instead", async () => {
    const name = uniqueModelName("fraud_detector");
    const pending = await registerPending(name);

    await expect(getArtifactDownload(registry.deps, name, { number: pending.version }, { limit: 25 })).rejects.toMatchObject({
      code: "VersionNotReady",
      message:
        `Version 1 of '${name}' is PENDING_UPLOAD: only READY versions can be downloaded, and its upload is not finished; ` +
        `finish it (POST /models/${name}/versions/1/artifact/complete), or download another version (e.g. GET /models/${name}/versions/latest/artifact).`,
    });
  });

  it("answers 409 VersionNotReady for a VERIFYING version saying to wait for its verification, not to finish its upload", async () => {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(1024);
    const registered = await registerPending(name, bytes);
    await putBytes(singlePut(registered.upload), bytes);
    await completeUpload(registry.deps, name, { number: registered.version }, undefined, ci);

    await expect(getArtifactDownload(registry.deps, name, { number: registered.version }, { limit: 25 })).rejects.toMatchObject({
      code: "VersionNotReady",
      message:
        `Version 1 of '${name}' is VERIFYING: only READY versions can be downloaded, and its bytes are being verified; ` +
        `poll GET /models/${name}/versions/1 until it is READY, or download another version (e.g. GET /models/${name}/versions/latest/artifact).`,
    });
    await runQueued(registry.deps); // its verification, which no later test of this file waits for
  });
});

describe("versions whose upload never became READY", () => {
  it("archives a PENDING_UPLOAD version (admin), recording the move, then deletes it through the same path as any deletion", async () => {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(1024);
    const pending = await registerPending(name, bytes);

    expect(await archive(name, pending.version)).toEqual({ version: 1, from: "None", to: "Archived", archived: [] });
    expect(await newestHistory(name)).toMatchObject({ action: "STAGE_CHANGED", version: 1, fromStage: "None", toStage: "Archived" });
    const deleted = await deleteVersion(registry.deps, name, { number: 1 }, ci);

    expect(deleted).toEqual({ model: name, version: 1, deleted: true, artifactDeleted: true });
    expect((await itemsOf(name)).filter((item) => item.entity === "version")).toEqual([]);
    expect(await refOf(sha256(bytes))).toBeUndefined();
    expect(await newestHistory(name)).toMatchObject({ action: "VERSION_DELETED", version: 1, artifact: { sha256: sha256(bytes) } });
  });

  it("archives a FAILED version, and deletes one still in None without archiving it first", async () => {
    const name = uniqueModelName("fraud_detector");
    const first = await registerFailed(name);
    const second = await registerFailed(name);

    expect(await archive(name, first.version)).toMatchObject({ to: "Archived" });
    await expect(deleteVersion(registry.deps, name, { number: second.version }, ci)).resolves.toMatchObject({ deleted: true });
    await expect(deleteVersion(registry.deps, name, { number: first.version }, ci)).resolves.toMatchObject({ deleted: true });
  });

  it("aborts the open multipart upload of a deleted version: its part URLs stop working", async () => {
    const name = uniqueModelName("fraud_detector");
    const part = randomBytes(4096);
    const registered = await registerPending(name, randomBytes(1024), {
      sizeBytes: 65 * MiB,
      partSizeBytes: 32 * MiB,
      parts: [{ partNumber: 1, sha256: sha256(part) }],
    });
    const upload = registered.upload;
    if (upload?.method !== "MULTIPART") throw new Error("expected a multipart upload");
    const [url] = upload.parts;
    if (!url) throw new Error("expected part 1's URL");
    expect((await fetch(url.url, { method: "PUT", headers: url.headers, body: part })).status).toBe(200);

    await deleteVersion(registry.deps, name, { number: registered.version }, ci);

    const afterwards = await fetch(url.url, { method: "PUT", headers: url.headers, body: part });
    expect(afterwards.status).toBe(404);
    expect(await afterwards.text()).toContain("<Code>NoSuchUpload</Code>");
  });

  it("still refuses to stage a version that is not READY, and to delete a READY one in None", async () => {
    const name = uniqueModelName("fraud_detector");
    const pending = await registerPending(name);
    const ready = await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://m/model.bin" }), ci);

    await expect(
      transitionVersion(registry.deps, name, { number: pending.version }, { to: "Staging", reason: "try", archiveExisting: false }, ci),
    ).rejects.toMatchObject({
      code: "VersionNotReady",
      message: expect.stringContaining("clear it away (an admin archives or deletes it)"),
    });
    await expect(deleteVersion(registry.deps, name, { number: ready.version }, ci)).rejects.toMatchObject({ code: "VersionInUse" });
  });

  it("ends each of 20 rounds of a deletion raced against the upload's completion in one consistent outcome", async () => {
    for (let round = 0; round < 20; round++) {
      const name = uniqueModelName("fraud_detector");
      const bytes = randomBytes(1024);
      const registered = await registerPending(name, bytes);
      await putBytes(singlePut(registered.upload), bytes);

      const [deletion, completion] = await Promise.allSettled([
        deleteVersion(registry.deps, name, { number: 1 }, ci),
        completeUpload(registry.deps, name, { number: 1 }, undefined, ci),
      ]);
      // A completion that won leaves the version VERIFYING (s3rver reports no SHA-256): its task settles it.
      await runQueued(registry.deps);

      const versions = (await itemsOf(name)).filter((item) => item.entity === "version");
      const ref = await refOf(sha256(bytes));
      if (deletion.status === "fulfilled") {
        expect(versions, `round ${round}`).toEqual([]);
        expect(ref?.refCount ?? 0, `round ${round}`).toBe(0);
      } else {
        expect(deletion.reason, `round ${round}`).toMatchObject({ code: "VersionInUse" });
        expect(completion, `round ${round}`).toMatchObject({
          status: "fulfilled",
          value: { status: expect.stringMatching(/^(READY|VERIFYING)$/) },
        });
        expect(versions, `round ${round}`).toEqual([expect.objectContaining({ status: "READY", stage: "None" })]);
        expect(ref, `round ${round}`).toMatchObject({ refCount: 1, verifiedAt: expect.any(String) });
      }
    }
  }, 120_000);
});
