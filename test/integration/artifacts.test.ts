import { beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext, putBytes, refusal, roleCaller, sha256, singlePut } from "../support/fixtures";
import { useTestRegistry, loadHandlers, uniqueModelName, type ApiHandler } from "../support/registry";
import { completeAndVerify, runQueued } from "../support/verification";
import { GiB, MiB, artifactObjectKey } from "../../shared/domain/artifacts";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { getVersion } from "../../shared/use-cases/get-version";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { getArtifactDownload } from "../../shared/use-cases/get-artifact-download";
import type { DownloadView } from "../../shared/schemas/artifact";
import { requestPartUrls } from "../../shared/use-cases/request-part-urls";
import { restartUpload } from "../../shared/use-cases/restart-upload";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../../shared/s3-client";

const ci = roleCaller("training-ci", "req-1");
const filename = "model.tar.gz";
const FIRST_PAGE = { limit: 25 };

const registry = useTestRegistry({ uploads: { urlExpirySeconds: 900, maxArtifactBytes: GiB } });
let catalog: ApiHandler;
let artifacts: ApiHandler;
let downloads: ApiHandler;

beforeAll(async () => {
  ({ catalog, artifacts, downloads } = await loadHandlers(registry, "catalog", "artifacts", "downloads"));
});

const register = (name: string, bytes: Buffer, extra: Record<string, unknown> = {}) =>
  registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename, sizeBytes: bytes.length, sha256: sha256(bytes), ...extra }, metrics: { auc: 0.91 } }),
    ci,
  );

async function uploadSingle(name: string, bytes: Buffer) {
  const registered = await register(name, bytes);
  await putBytes(singlePut(registered.upload), bytes);
  return completeAndVerify(registry.deps, name, { number: registered.version }, ci);
}

/** Bytes stored under the declared key without the upload URL (whose signed checksum S3 and the local S3 front refuse them with): the registry's own verification must catch them. */
const storeWithoutTheUrl = (declared: Buffer, bytes: Buffer) =>
  createS3Client(registry.config).send(
    new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(sha256(declared)), Body: bytes }),
  );
const objectExists = async (hex: string) => (await registry.deps.artifacts.head(artifactObjectKey(hex))) !== undefined;
const refOf = async (hex: string) => (await registry.items()).find((item) => item.pk === `ARTIFACT#${hex}`);
const historyOf = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "history");

describe("checksum-verified uploads against s3rver and DynamoDB Local", () => {
  it("takes a single PUT to READY, records it in history, and serves the same bytes back", async () => {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(3 * MiB);

    const registered = await register(name, bytes);
    expect(registered).toMatchObject({
      version: 1,
      status: "PENDING_UPLOAD",
      artifact: {
        sha256: sha256(bytes),
        sizeBytes: bytes.length,
        uri: `s3://${registry.config.bucketName}/artifacts/sha256/${sha256(bytes)}`,
      },
    });
    const upload = singlePut(registered.upload);
    expect(upload.headers["x-amz-checksum-sha256"]).toBe(createHash("sha256").update(bytes).digest("base64"));
    await putBytes(upload, bytes);
    const accepted = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
    expect(accepted).toMatchObject({
      status: "VERIFYING",
      verification: { filesVerified: 0, filesTotal: 1, bytesVerified: 0, bytesTotal: bytes.length },
    });
    await runQueued(registry.deps);
    const completed = await getVersion(registry.deps, name, { number: 1 });

    expect(completed).toMatchObject({ status: "READY", artifact: { sha256: sha256(bytes), sizeBytes: bytes.length, filename } });
    expect(completed.verification).toBeUndefined();
    expect(await getVersion(registry.deps, name, { number: 1 })).toEqual(completed);
    const history = await historyOf(name);
    expect(history.map((h) => h.action)).toEqual(["MODEL_CREATED", "VERSION_REGISTERED", "VERSION_READY"]);
    expect(history[2]).toMatchObject({
      version: 1,
      artifact: { uri: completed.artifact?.uri, sha256: sha256(bytes), sizeBytes: bytes.length },
    });
    expect(await refOf(sha256(bytes))).toMatchObject({ refCount: 1, sizeBytes: bytes.length, verifiedAt: expect.any(String) });

    const download = (await getArtifactDownload(registry.deps, name, { number: 1 }, FIRST_PAGE)) as DownloadView;
    const downloaded = Buffer.from(await (await fetch(download.url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(bytes));
    expect(download).toMatchObject({ sha256: sha256(bytes), sizeBytes: bytes.length, filename });
  });

  it("answers a second completion with the same version and writes nothing", async () => {
    const name = uniqueModelName("churn_scorer");
    const first = await uploadSingle(name, randomBytes(1024));
    const before = await registry.state();

    const second = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);

    expect(second).toEqual(first);
    expect(await registry.state()).toEqual(before);
  });

  it("starts one verification for two concurrent completions: both answer VERIFYING, history has one VERSION_READY", async () => {
    const name = uniqueModelName("churn_scorer");
    const bytes = randomBytes(512 * 1024);
    const registered = await register(name, bytes);
    await putBytes(singlePut(registered.upload), bytes);

    const [first, second] = await Promise.all([1, 2].map(() => completeUpload(registry.deps, name, { number: 1 }, undefined, ci)));

    expect(first).toEqual(second);
    expect(first?.status).toBe("VERIFYING");
    expect(await runQueued(registry.deps)).toEqual(["hashed"]);
    expect((await getVersion(registry.deps, name, { number: 1 })).status).toBe("READY");
    expect((await historyOf(name)).filter((h) => h.action === "VERSION_READY")).toHaveLength(1);
  });

  it("assembles a 3-part multipart upload, one part's URL re-issued through …/parts, and verifies it by hashing", async () => {
    const name = uniqueModelName("ranker");
    const partSize = 24 * MiB;
    const bytes = randomBytes(65 * MiB);
    const parts = [0, 1, 2].map((i) => bytes.subarray(i * partSize, (i + 1) * partSize));
    const digests = parts.map((part, i) => ({ partNumber: i + 1, sha256: sha256(part) }));

    const registered = await register(name, bytes, { partSizeBytes: partSize, parts: digests.slice(0, 2) });
    const upload = registered.upload;
    if (upload?.method !== "MULTIPART") throw new Error("expected a multipart upload");
    expect(upload).toMatchObject({ partSizeBytes: partSize, partCount: 3 });
    expect(upload.parts.map((p) => p.partNumber)).toEqual([1, 2]);

    // Part 1's URL "expired"; part 3 was not declared at registration.
    const fresh = await requestPartUrls(registry.deps, name, { number: 1 }, { parts: [digests[0]!, digests[2]!] }, ci);
    if (fresh.method !== "MULTIPART") throw new Error("expected part URLs");
    expect(fresh.uploadId).toBe(upload.uploadId);
    const etags = [
      await putBytes(fresh.parts[0]!, parts[0]!),
      await putBytes(upload.parts[1]!, parts[1]!),
      await putBytes(fresh.parts[1]!, parts[2]!),
    ];
    const accepted = await completeUpload(
      registry.deps,
      name,
      { number: 1 },
      { parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) },
      ci,
    );
    expect(accepted.status).toBe("VERIFYING");
    await runQueued(registry.deps);
    const completed = await getVersion(registry.deps, name, { number: 1 });

    expect(completed).toMatchObject({ status: "READY", artifact: { sha256: sha256(bytes), sizeBytes: bytes.length, partCount: 3 } });
    const download = (await getArtifactDownload(registry.deps, name, { number: 1 }, FIRST_PAGE)) as DownloadView;
    expect(sha256(Buffer.from(await (await fetch(download.url)).arrayBuffer()))).toBe(sha256(bytes));
  }, 60_000);

  it("fails a version whose uploaded bytes differ from the declared sha256, keeps it in stage None, and lets it upload again", async () => {
    const name = uniqueModelName("fraud_detector");
    const declared = randomBytes(256 * 1024);
    const other = randomBytes(declared.length);

    await register(name, declared);
    await storeWithoutTheUrl(declared, other);
    const failed = await completeAndVerify(registry.deps, name, { number: 1 }, ci);

    expect(failed.status).toBe("FAILED");
    expect(failed.artifact?.failureReason).toBe(
      `${filename}: sha256 mismatch: ${sha256(declared)} was declared, the stored bytes hash to ${sha256(other)}`,
    );
    expect((await historyOf(name)).at(-1)).toMatchObject({
      action: "VERSION_FAILED",
      version: 1,
      reason: failed.artifact?.failureReason,
      artifact: { sha256: sha256(declared) },
    });
    expect(await objectExists(sha256(declared))).toBe(false);
    await expect(
      transitionVersion(registry.deps, name, { number: 1 }, { to: "Staging", reason: "try", archiveExisting: false }, ci),
    ).rejects.toMatchObject({ code: "VersionNotReady" });
    await expect(getArtifactDownload(registry.deps, name, { number: 1 }, FIRST_PAGE)).rejects.toMatchObject({ code: "VersionNotReady" });
    expect((await getVersion(registry.deps, name, { number: 1 })).stage).toBe("None");

    const restarted = await restartUpload(registry.deps, name, { number: 1 }, {}, ci);
    expect(restarted.status).toBe("PENDING_UPLOAD");
    expect(restarted.artifact?.failureReason).toBeUndefined();
    expect((await historyOf(name)).at(-1)).toMatchObject({
      action: "VERSION_UPDATED",
      changes: { status: { from: "FAILED", to: "PENDING_UPLOAD" } },
    });
    await putBytes(singlePut(restarted.upload), declared);
    expect(await completeAndVerify(registry.deps, name, { number: 1 }, ci)).toMatchObject({ status: "READY" });
  });

  it("fails a version whose object has another size without hashing it", async () => {
    const name = uniqueModelName("fraud_detector");
    const declared = randomBytes(4096);

    await register(name, declared);
    await storeWithoutTheUrl(declared, declared.subarray(0, 100));
    const failed = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);

    expect(failed).toMatchObject({ status: "FAILED" });
    expect(failed.artifact?.failureReason).toBe(`${filename}: size mismatch: 4096 bytes were declared, the stored object has 100`);
    expect(registry.deps.verifications.waiting).toEqual([]);
  });

  it("keeps another version's upload of a digest when a registration declaring that digest with another size fails", async () => {
    const [uploader, misdeclared] = [uniqueModelName("fraud_detector"), uniqueModelName("churn_scorer")];
    const bytes = randomBytes(4096);
    await putBytes(singlePut((await register(uploader, bytes)).upload), bytes);
    await registerVersion(
      registry.deps,
      misdeclared,
      registerVersionBody.parse({ artifact: { filename, sizeBytes: bytes.length + 1, sha256: sha256(bytes) } }),
      roleCaller("other-ci", "req-2"),
    );

    const failed = await completeAndVerify(registry.deps, misdeclared, { number: 1 }, ci);

    expect(failed.artifact?.failureReason).toBe(`${filename}: size mismatch: 4097 bytes were declared, the stored object has 4096`);
    expect(await objectExists(sha256(bytes))).toBe(true);
    expect(await completeAndVerify(registry.deps, uploader, { number: 1 }, ci)).toMatchObject({ status: "READY" });
  });

  it("deletes bytes of another size and digest that two versions declare, once hashing shows they are not the digest's", async () => {
    const [first, second] = [uniqueModelName("fraud_detector"), uniqueModelName("churn_scorer")];
    const declared = randomBytes(4096);
    await register(first, declared);
    await register(second, declared);
    await storeWithoutTheUrl(declared, randomBytes(100));

    const failed = await completeAndVerify(registry.deps, first, { number: 1 }, ci);

    expect(failed).toMatchObject({ status: "FAILED" });
    expect(failed.artifact?.failureReason).toContain(`${filename}: sha256 mismatch: ${sha256(declared)} was declared`);
    expect(await objectExists(sha256(declared))).toBe(false);
  });

  it("needs no upload for bytes the bucket already holds, verified, even for another model", async () => {
    const bytes = randomBytes(64 * 1024);
    const first = uniqueModelName("fraud_detector");
    const second = uniqueModelName("churn_scorer");
    await uploadSingle(first, bytes);

    const again = await register(second, bytes);

    expect(again).toMatchObject({ status: "READY", upload: null, artifact: { sha256: sha256(bytes) } });
    expect((await historyOf(second)).map((h) => h.action)).toEqual(["MODEL_CREATED", "VERSION_REGISTERED", "VERSION_READY"]);
    expect(await refOf(sha256(bytes))).toMatchObject({ refCount: 2 });
  });

  it("keeps a shared object when an Archived version is deleted, and deletes it with the last reference", async () => {
    const bytes = randomBytes(32 * 1024);
    const [a, b] = [uniqueModelName("fraud_detector"), uniqueModelName("churn_scorer")];
    await uploadSingle(a, bytes);
    await register(b, bytes);
    for (const name of [a, b])
      await transitionVersion(registry.deps, name, { number: 1 }, { to: "Archived", reason: "superseded", archiveExisting: false }, ci);

    const firstDeleted = await deleteVersion(registry.deps, a, { number: 1 }, ci);

    expect(firstDeleted).toEqual({ model: a, version: 1, deleted: true, artifactDeleted: false });
    expect(await objectExists(sha256(bytes))).toBe(true);
    expect(await refOf(sha256(bytes))).toMatchObject({ refCount: 1 });
    expect((await registry.items()).filter((item) => item.pk === `MODEL#${a}` && item.entity === "version")).toEqual([]);
    expect((await historyOf(a)).at(-1)).toMatchObject({ action: "VERSION_DELETED", version: 1, artifact: { sha256: sha256(bytes) } });

    const lastDeleted = await deleteVersion(registry.deps, b, { number: 1 }, ci);

    expect(lastDeleted.artifactDeleted).toBe(true);
    expect(await objectExists(sha256(bytes))).toBe(false);
    expect(await refOf(sha256(bytes))).toBeUndefined();
  });

  it("refuses to delete a version that is not Archived", async () => {
    const name = uniqueModelName("fraud_detector");
    await uploadSingle(name, randomBytes(1000));

    await expect(deleteVersion(registry.deps, name, { number: 1 }, ci)).rejects.toMatchObject({ code: "VersionInUse" });
  });

  it("gives a PENDING_UPLOAD version whose URL expired a fresh one, with the same declaration", async () => {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(2048);
    await register(name, bytes);

    const restarted = await restartUpload(registry.deps, name, { number: 1 }, {}, ci);
    await putBytes(singlePut(restarted.upload), bytes);

    expect(restarted.status).toBe("PENDING_UPLOAD");
    expect(await completeAndVerify(registry.deps, name, { number: 1 }, ci)).toMatchObject({ status: "READY" });
    expect((await historyOf(name)).map((h) => h.action)).toEqual(["MODEL_CREATED", "VERSION_REGISTERED", "VERSION_READY"]);
  });
});

describe("bad artifact requests get a clear 4xx and change nothing", () => {
  const decoded = (response: APIGatewayProxyStructuredResultV2) =>
    JSON.parse(response.body ?? "{}") as { error: { code: string; message: string } };
  const valid = { filename, sizeBytes: 1000, sha256: "a".repeat(64) };
  let name: string;
  /** The versions the cases refer to: one without an artifact, one single-PUT and one multipart upload in progress. */
  type Uploaded = "source" | "single" | "multipart";
  const versions: Record<Uploaded, number> = { source: 0, single: 0, multipart: 0 };

  beforeAll(async () => {
    name = uniqueModelName("fraud_detector");
    versions.source = (
      await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://elsewhere/model" }), ci)
    ).version;
    versions.single = (await register(name, randomBytes(1000))).version;
    versions.multipart = (await register(name, randomBytes(65 * MiB), { partSizeBytes: 24 * MiB })).version;
  });

  const registration = (artifact: Record<string, unknown>) => ({
    routeKey: "POST /models/{name}/versions",
    body: { artifact: { ...valid, ...artifact } },
  });
  const parts = (which: Uploaded, partNumber: number) => () => ({
    routeKey: "POST /models/{name}/versions/{v}/artifact/parts",
    v: versions[which],
    body: { parts: [{ partNumber, sha256: "b".repeat(64) }] },
  });
  const completion = (which: Uploaded, body?: unknown) => () => ({
    routeKey: "POST /models/{name}/versions/{v}/artifact/complete",
    v: versions[which],
    body,
  });
  const etags = (partNumbers: number[]) => ({ parts: partNumbers.map((partNumber) => ({ partNumber, etag: "e" })) });
  const on = (routeKey: string, which: Uploaded) => () => ({ routeKey, v: versions[which] });
  const cases = [
    refusal("an artifact of 0 bytes", () => registration({ sizeBytes: 0 })),
    refusal("an artifact above MAX_ARTIFACT_BYTES", () => registration({ sizeBytes: GiB + 1 })),
    refusal("a sha256 of 63 hex characters", () => registration({ sha256: "a".repeat(63) })),
    refusal("a sha256 with a letter past f", () => registration({ sha256: "g".repeat(64) })),
    refusal("a file name with a path", () => registration({ filename: "models/model.bin" })),
    refusal("a file name with ..", () => registration({ filename: "..model" })),
    refusal("a file name of 256 bytes in 128 characters", () => registration({ filename: "é".repeat(128) })),
    refusal("both source and artifact", () => ({ routeKey: "POST /models/{name}/versions", body: { source: "s3://x", artifact: valid } })),
    refusal("parts for a single-PUT upload at registration", () => registration({ parts: [{ partNumber: 1, sha256: "b".repeat(64) }] })),
    refusal("a part size S3 refuses", () => registration({ sizeBytes: 100 * MiB, partSizeBytes: MiB })),
    refusal("parts for a single-PUT upload", parts("single", 1)),
    refusal("a part beyond the upload's part count", parts("multipart", 4)),
    refusal(
      "completing with a missing part",
      completion("multipart", {
        parts: [
          { partNumber: 1, etag: "a" },
          { partNumber: 2, etag: "b" },
        ],
      }),
    ),
    refusal("completing with a duplicate part", completion("multipart", etags([1, 2, 2, 3]))),
    refusal("completing with parts never declared", completion("multipart", etags([1, 2, 3])), 409, "UploadIncomplete"),
    refusal("completing before anything was uploaded", completion("single"), 409, "UploadIncomplete"),
    refusal("completing parts of a single-PUT upload", completion("single", etags([1]))),
    refusal("completing a version that has no artifact", completion("source"), 404, "ArtifactNotFound"),
    refusal(
      "downloading a version that has no artifact",
      on("GET /models/{name}/versions/{v}/artifact", "source"),
      404,
      "ArtifactNotFound",
    ),
    refusal("downloading a version still uploading", on("GET /models/{name}/versions/{v}/artifact", "single"), 409, "VersionNotReady"),
    refusal("deleting a version outside Archived", on("DELETE /models/{name}/versions/{v}", "source"), 409, "VersionInUse"),
  ];

  it.each(cases)("answers $status $code to $name", async ({ request, status, code }) => {
    const { routeKey, body, v } = request() as { routeKey: string; body?: unknown; v?: number };
    const event = apiEvent({ routeKey, pathParameters: { name, ...(v ? { v: String(v) } : {}) }, body });
    const before = await registry.state();

    const handler = routeKey.startsWith("GET")
      ? downloads
      : routeKey.startsWith("POST /models/{name}/versions") && !v
        ? catalog
        : artifacts;
    const response = await handler(event, lambdaContext);

    expect(response.statusCode, response.body).toBe(status);
    expect(decoded(response).error.code).toBe(code);
    expect(await registry.state()).toEqual(before);
  });
});
