import { beforeAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { apiEvent, lambdaContext, putBytes, refusal, roleCaller, sha256, singlePut } from "../support/fixtures";
import { useTestRegistry, loadHandlers, uniqueModelName, type ApiHandler } from "../support/registry";
import { completeAndVerify, runQueued } from "../support/verification";
import { MiB, artifactObjectKey } from "../../shared/domain/artifacts";
import { MAX_FILES_PER_COMMIT } from "../../shared/store/entities/manifest";
import { createS3Client } from "../../shared/s3-client";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion, type RegisteredVersion } from "../../shared/use-cases/register-version";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { getVersion } from "../../shared/use-cases/get-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { restartUpload } from "../../shared/use-cases/restart-upload";
import { requestPartUrls } from "../../shared/use-cases/request-part-urls";
import { getArtifactDownload, getFileDownload } from "../../shared/use-cases/get-artifact-download";
import type { ManifestDownloadView } from "../../shared/schemas/artifact";
import { encodeCursor } from "../../shared/store/pages";

const ci = roleCaller("training-ci", "req-1");
const MAX_TOTAL_BYTES = 8 * MiB;
const registry = useTestRegistry({ uploads: { urlExpirySeconds: 900, maxArtifactBytes: MAX_TOTAL_BYTES } });
let catalog: ApiHandler;

beforeAll(async () => {
  ({ catalog } = await loadHandlers(registry, "catalog"));
});

/** A model directory: each path with its own random bytes (random, so no other test's objects are shared). */
const directory = (...paths: string[]): Map<string, Buffer> =>
  new Map(paths.map((path) => [path, randomBytes(1024 + paths.indexOf(path))]));

const manifest = (files: Map<string, Buffer>) =>
  [...files].map(([path, bytes]) => ({ path, sizeBytes: bytes.length, sha256: sha256(bytes), contentType: "application/octet-stream" }));

const register = (name: string, files: Map<string, Buffer>) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ files: manifest(files), metrics: { auc: 0.9 } }), ci);

/** PUTs every file the registration asks for; the paths it sent. */
async function uploadAsked(registered: RegisteredVersion, files: Map<string, Buffer>): Promise<string[]> {
  const asked = (registered.uploads ?? []).filter((file) => file.upload !== null);
  for (const { path, upload } of asked) await putBytes(singlePut(upload), files.get(path) ?? Buffer.alloc(0));
  return asked.map((file) => file.path);
}

const objectExists = async (bytes: Buffer) => (await registry.deps.artifacts.head(artifactObjectKey(sha256(bytes)))) !== undefined;
const refOf = async (bytes: Buffer) => (await registry.items()).find((item) => item.pk === `ARTIFACT#${sha256(bytes)}`);
const historyOf = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "history");
const archive = (name: string, version: number) =>
  transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "superseded", archiveExisting: false }, ci);

describe("versions made of several files, against s3rver and DynamoDB Local", () => {
  it("takes a three-file version from registration through one PUT per file to READY, one verification task per file", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("model.safetensors", "tokenizer/vocab.json", "config.json");

    const registered = await register(name, files);
    expect(registered).toMatchObject({ status: "PENDING_UPLOAD", upload: null, files: { count: 3, deduplicated: 0 } });
    expect(await uploadAsked(registered, files)).toEqual([...files.keys()]);
    const accepted = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
    expect(accepted).toMatchObject({ status: "VERIFYING", verification: { filesVerified: 0, filesTotal: 3 } });
    expect(registry.deps.verifications.waiting.map((task) => task.path).sort()).toEqual([...files.keys()].sort());
    await runQueued(registry.deps);

    const ready = await getVersion(registry.deps, name, { number: 1 });
    const totalBytes = [...files.values()].reduce((sum, bytes) => sum + bytes.length, 0);
    expect(ready).toMatchObject({ status: "READY", files: { count: 3, totalBytes, deduplicated: 0 } });
    for (const bytes of files.values()) expect(await refOf(bytes)).toMatchObject({ refCount: 1, verifiedAt: expect.any(String) });
    const readyEntries = (await historyOf(name)).filter((entry) => entry.action === "VERSION_READY");
    expect(readyEntries).toEqual([expect.objectContaining({ artifact: expect.objectContaining({ sizeBytes: totalBytes }) })]);
  });

  it("answers a READY version's files page by page on GET …/artifact, each with a URL serving the same bytes", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("model.bin", 'tokenizer/vocab "été".json', "config.json");
    await uploadAsked(await register(name, files), files);
    await expect(getArtifactDownload(registry.deps, name, { number: 1 }, { limit: 2 })).rejects.toMatchObject({ code: "VersionNotReady" });
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);

    const first = (await getArtifactDownload(registry.deps, name, { number: 1 }, { limit: 2 })) as ManifestDownloadView;
    const second = (await getArtifactDownload(
      registry.deps,
      name,
      { number: 1 },
      { limit: 2, cursor: first.nextCursor },
    )) as ManifestDownloadView;

    expect(first.nextCursor).toEqual(expect.any(String));
    expect(second.nextCursor).toBeUndefined();
    const listed = [...first.files, ...second.files];
    expect(listed.map(({ path, sha256: digest }) => [path, digest])).toEqual([...files].map(([path, bytes]) => [path, sha256(bytes)]));
    for (const { path, url } of listed) {
      const response = await fetch(url);
      expect(response.headers.get("content-disposition")).not.toContain("/");
      expect(Buffer.from(await response.arrayBuffer()).equals(files.get(path) ?? Buffer.alloc(0))).toBe(true);
    }
  });

  it("refuses a manifest cursor of another version, and a forged one, with 400 ValidationError", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("a.bin", "b.bin");
    for (const version of [1, 2]) {
      await uploadAsked(await register(name, files), files);
      await completeAndVerify(registry.deps, name, { number: version }, ci);
    }
    const { nextCursor } = (await getArtifactDownload(registry.deps, name, { number: 1 }, { limit: 1 })) as ManifestDownloadView;
    const forged = encodeCursor(`files#${name}#1`, { from: "-1" });

    for (const cursor of [nextCursor, forged])
      await expect(
        getArtifactDownload(registry.deps, name, { number: cursor === forged ? 1 : 2 }, { limit: 1, cursor }),
      ).rejects.toMatchObject({
        code: "ValidationError",
      });
  });

  it("answers one file by its path, and 404 ArtifactNotFound naming a path the version does not hold", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("model.bin", "tokenizer/vocab.json");
    await uploadAsked(await register(name, files), files);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);

    const file = await getFileDownload(registry.deps, name, { number: 1 }, "tokenizer/vocab.json");

    expect(file).toMatchObject({ path: "tokenizer/vocab.json", sha256: sha256(files.get("tokenizer/vocab.json") ?? Buffer.alloc(0)) });
    expect(Buffer.from(await (await fetch(file.url)).arrayBuffer()).equals(files.get("tokenizer/vocab.json") ?? Buffer.alloc(0))).toBe(
      true,
    );
    await expect(getFileDownload(registry.deps, name, { number: 1 }, "tokenizer/merges.txt")).rejects.toMatchObject({
      code: "ArtifactNotFound",
      message: expect.stringContaining("'tokenizer/merges.txt'"),
    });
  });

  it("asks a second version sharing two verified files to upload only the third", async () => {
    const name = uniqueModelName("fraud_detector");
    const first = directory("model.safetensors", "tokenizer.json", "config.json");
    await uploadAsked(await register(name, first), first);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);
    const second = new Map([...first].filter(([path]) => path !== "config.json"));
    second.set("config.json", randomBytes(999));

    const registered = await register(name, second);

    expect(registered.uploads?.map((file) => [file.path, file.upload === null])).toEqual([
      ["model.safetensors", true],
      ["tokenizer.json", true],
      ["config.json", false],
    ]);
    expect(registered.files).toMatchObject({ count: 3, deduplicated: 2 });
    await uploadAsked(registered, second);
    expect(await completeAndVerify(registry.deps, name, { number: 2 }, ci)).toMatchObject({
      status: "READY",
      files: { deduplicated: 2 },
    });
    expect(await refOf(first.get("model.safetensors") ?? Buffer.alloc(0))).toMatchObject({ refCount: 2 });
  });

  it("sends no task for a file whose bytes another version's verification proved after this one registered", async () => {
    const name = uniqueModelName("fraud_detector");
    const shared = directory("model.safetensors");
    const own = new Map([["config.json", randomBytes(900)]]);
    const first = await register(name, shared);
    // Registered before the first is verified: its model.safetensors is to upload too, and is stored already.
    const second = await register(name, new Map([...shared, ...own]));
    expect(second.uploads?.map((file) => [file.path, file.upload === null])).toEqual([
      ["model.safetensors", false],
      ["config.json", false],
    ]);
    await uploadAsked(first, shared);
    await uploadAsked({ ...second, uploads: second.uploads?.filter((file) => own.has(file.path)) }, own);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);

    const accepted = await completeUpload(registry.deps, name, { number: 2 }, undefined, ci);

    expect(registry.deps.verifications.waiting.map((task) => task.path)).toEqual(["config.json"]);
    expect(accepted).toMatchObject({ status: "VERIFYING", verification: { filesVerified: 1, filesTotal: 2 } });
    await runQueued(registry.deps);
    expect(await getVersion(registry.deps, name, { number: 2 })).toMatchObject({ status: "READY" });
  });

  it("reads a manifest's references in one batch and sends a HEAD only for the objects held verified", async () => {
    const name = uniqueModelName("fraud_detector");
    const held = directory("model.safetensors", "tokenizer.json", "config.json");
    await uploadAsked(await register(name, held), held);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);
    const files = new Map([...held, ["extra/a.bin", randomBytes(700)], ["extra/b.bin", randomBytes(701)]]);
    const store = Object.create(registry.deps.store) as typeof registry.deps.store;
    const artifacts = Object.create(registry.deps.artifacts) as typeof registry.deps.artifacts;
    const singleReads = vi.spyOn(store, "getArtifactRef");
    const batchReads = vi.spyOn(store, "getArtifactRefs");
    const heads = vi.spyOn(artifacts, "head");

    const registered = await registerVersion(
      { ...registry.deps, store, artifacts },
      name,
      registerVersionBody.parse({ files: manifest(files) }),
      ci,
    );

    expect(registered.uploads?.map((file) => [file.path, file.upload === null])).toEqual([
      ["model.safetensors", true],
      ["tokenizer.json", true],
      ["config.json", true],
      ["extra/a.bin", false],
      ["extra/b.bin", false],
    ]);
    expect(singleReads).not.toHaveBeenCalled();
    expect(batchReads.mock.calls).toEqual([[[...files.values()].map(sha256)]]);
    expect(heads.mock.calls.map(([key]) => key).sort()).toEqual([...held.values()].map((bytes) => artifactObjectKey(sha256(bytes))).sort());
  });

  it("answers 400 naming the file that declares another size for bytes held verified", async () => {
    const name = uniqueModelName("fraud_detector");
    const held = directory("model.safetensors");
    await uploadAsked(await register(name, held), held);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);
    const [declared] = manifest(held);
    const files = [
      { ...declared, path: "config.json", sha256: sha256(randomBytes(10)) },
      { ...declared, sizeBytes: 5 },
    ];

    const refused = registerVersion(registry.deps, name, registerVersionBody.parse({ files }), ci);

    await expect(refused).rejects.toMatchObject({
      code: "ValidationError",
      details: [{ path: "body.files.1.sizeBytes", message: `the verified size is ${declared?.sizeBytes}` }],
    });
  });

  it("asks once for two files of one manifest with the same bytes, and counts one reference for them", async () => {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(500);
    const files = new Map([
      ["a/weights.bin", bytes],
      ["b/weights.bin", bytes],
    ]);

    const registered = await register(name, files);

    expect(registered.uploads?.map((file) => file.upload === null)).toEqual([false, true]);
    await uploadAsked(registered, files);
    expect(await completeAndVerify(registry.deps, name, { number: 1 }, ci)).toMatchObject({ status: "READY", files: { count: 2 } });
    expect(await refOf(bytes)).toMatchObject({ refCount: 1 });
    await archive(name, 1);
    expect(await deleteVersion(registry.deps, name, { number: 1 }, ci)).toMatchObject({ artifactDeleted: true });
    expect(await objectExists(bytes)).toBe(false);
  });

  it("is READY at once when every file is held verified already", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("a.bin", "b.bin");
    await uploadAsked(await register(name, files), files);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);

    const again = await register(name, files);

    expect(again).toMatchObject({ status: "READY", files: { deduplicated: 2 } });
    expect(again.uploads?.every((file) => file.upload === null)).toBe(true);
  });

  it("fails a version with one corrupted file, naming it with the declared and the actual digest, and deletes only those bytes", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("model.bin", "weights/layer1.bin", "README.md");
    const registered = await register(name, files);
    const corrupted = randomBytes(files.get("weights/layer1.bin")?.length ?? 0);
    for (const [path, bytes] of files) {
      if (path !== "weights/layer1.bin")
        await putBytes(singlePut(registered.uploads?.find((file) => file.path === path)?.upload ?? null), bytes);
    }
    // Bytes stored without the upload URL (which the S3 front would refuse them with): the registry's own hashing must catch them.
    const declared = files.get("weights/layer1.bin") ?? Buffer.alloc(0);
    await createS3Client(registry.config).send(
      new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(sha256(declared)), Body: corrupted }),
    );

    const failed = await completeAndVerify(registry.deps, name, { number: 1 }, ci);

    expect(failed.status).toBe("FAILED");
    expect(failed.files?.failureReason).toBe(
      `weights/layer1.bin: sha256 mismatch: ${sha256(declared)} was declared, the stored bytes hash to ${sha256(corrupted)}`,
    );
    expect(await objectExists(declared)).toBe(false);
    expect(await objectExists(files.get("model.bin") ?? Buffer.alloc(0))).toBe(true);
    expect((await historyOf(name)).map((entry) => entry.action)).toContain("VERSION_FAILED");

    const restarted = await restartUpload(registry.deps, name, { number: 1 }, {}, ci);
    expect(restarted.status).toBe("PENDING_UPLOAD");
    await putBytes(singlePut(restarted.uploads?.find((file) => file.path === "weights/layer1.bin")?.upload ?? null), declared);
    expect(await completeAndVerify(registry.deps, name, { number: 1 }, ci)).toMatchObject({ status: "READY", files: { count: 3 } });
  });

  it("answers a request for part URLs of a multi-file version with a 400 naming what to send", async () => {
    const name = uniqueModelName("fraud_detector");
    await register(name, directory("a.bin", "b.bin"));
    const parts = [{ partNumber: 1, sha256: sha256("part") }];

    await expect(requestPartUrls(registry.deps, name, { number: 1 }, { parts }, ci)).rejects.toMatchObject({
      code: "ValidationError",
      details: [{ path: "body.path", message: "name a file of the version" }],
    });
    await expect(requestPartUrls(registry.deps, name, { number: 1 }, { path: "c.bin", parts }, ci)).rejects.toMatchObject({
      details: [{ path: "body.path", message: "not a file of this version" }],
    });
    await expect(requestPartUrls(registry.deps, name, { number: 1 }, { path: "a.bin", parts }, ci)).rejects.toMatchObject({
      details: [{ path: "body.parts", message: "a single-PUT upload has no parts" }],
    });
  });

  it("refuses to complete while a file is missing, naming it, and changes nothing", async () => {
    const name = uniqueModelName("fraud_detector");
    const files = directory("a.bin", "b.bin");
    const registered = await register(name, files);
    await putBytes(singlePut(registered.uploads?.[0]?.upload ?? null), files.get("a.bin") ?? Buffer.alloc(0));
    const before = await registry.state();

    await expect(completeUpload(registry.deps, name, { number: 1 }, undefined, ci)).rejects.toMatchObject({
      code: "UploadIncomplete",
      message: expect.stringContaining("b.bin"),
    });
    expect(await registry.state()).toEqual(before);
  });

  it("keeps a shared object until the last version using it is deleted", async () => {
    const name = uniqueModelName("fraud_detector");
    const shared = randomBytes(2048);
    const first = new Map([
      ["shared.bin", shared],
      ["one.bin", randomBytes(100)],
    ]);
    const second = new Map([
      ["shared.bin", shared],
      ["two.bin", randomBytes(101)],
    ]);
    await uploadAsked(await register(name, first), first);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);
    await uploadAsked(await register(name, second), second);
    await completeAndVerify(registry.deps, name, { number: 2 }, ci);
    await archive(name, 1);
    await archive(name, 2);

    const firstDeleted = await deleteVersion(registry.deps, name, { number: 1 }, ci);

    expect(firstDeleted.artifactDeleted).toBe(true); // one.bin, used by no other version
    expect(await objectExists(first.get("one.bin") ?? Buffer.alloc(0))).toBe(false);
    expect(await objectExists(shared)).toBe(true);
    expect(await refOf(shared)).toMatchObject({ refCount: 1 });

    await deleteVersion(registry.deps, name, { number: 2 }, ci);

    expect(await objectExists(shared)).toBe(false);
    expect(await objectExists(second.get("two.bin") ?? Buffer.alloc(0))).toBe(false);
    expect(await refOf(shared)).toBeUndefined();
  });

  it("starts one verification for two concurrent completions (8 rounds): one task per file, one VERSION_READY", async () => {
    const name = uniqueModelName("fraud_detector");
    for (let round = 1; round <= 8; round++) {
      const files = directory("model.bin", "vocab.txt", "config.json");
      await uploadAsked(await register(name, files), files);

      const answers = await Promise.all([1, 2].map(() => completeUpload(registry.deps, name, { number: round }, undefined, ci)));

      expect(answers.map((answer) => answer.status)).toEqual(["VERIFYING", "VERIFYING"]);
      expect(registry.deps.verifications.waiting).toHaveLength(3);
      await runQueued(registry.deps);
      expect((await getVersion(registry.deps, name, { number: round })).status).toBe("READY");
    }
    const ready = (await historyOf(name)).filter((entry) => entry.action === "VERSION_READY");
    expect(ready.map((entry) => entry.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe(`a version of ${MAX_FILES_PER_COMMIT} files, the most one transaction holds`, () => {
  const paths = Array.from({ length: MAX_FILES_PER_COMMIT }, (_, i) => `shards/part-${String(i).padStart(3, "0")}.bin`);
  /** Every other write a registration or deletion may carry at once: a new model, a label, 20 dataset links. */
  const fullest = (files: Map<string, Buffer>, semver: string) =>
    registerVersionBody.parse({
      files: manifest(files),
      semver,
      lineage: { datasets: Array.from({ length: 20 }, (_, i) => ({ id: `dataset_${i}` })) },
    });

  it("registers, verifies, reuses and deletes it, each in one commit, releasing every reference", async () => {
    const files = directory(...paths);
    const [first, second] = [uniqueModelName("sharded"), uniqueModelName("sharded")];

    const registered = await registerVersion(registry.deps, first, fullest(files, "1.0.0"), ci);
    await uploadAsked(registered, files);
    expect(await completeAndVerify(registry.deps, first, { number: 1 }, ci)).toMatchObject({ status: "READY" });
    const reused = await registerVersion(registry.deps, second, fullest(files, "1.0.0"), ci);
    expect(reused).toMatchObject({ status: "READY", files: { count: MAX_FILES_PER_COMMIT, deduplicated: MAX_FILES_PER_COMMIT } });
    for (const name of [first, second]) await archive(name, 1);
    await deleteVersion(registry.deps, first, { number: 1 }, ci);
    for (const bytes of files.values()) expect(await refOf(bytes)).toMatchObject({ refCount: 1 });

    const deleted = await deleteVersion(registry.deps, second, { number: 1 }, ci);

    expect(deleted.artifactDeleted).toBe(true);
    for (const bytes of files.values()) {
      expect(await refOf(bytes)).toBeUndefined();
      expect(await objectExists(bytes)).toBe(false);
    }
    // Four whole-version commits and a read per file and step: 9 s on a quiet 2-core machine, past 30 s on a busy one.
  }, 90_000);
});

const digest = sha256("x");
const file = (path: string, sizeBytes = 10) => ({ path, sizeBytes, sha256: digest });
const registerFiles = (files: unknown[]) =>
  apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name: "fraud_detector" }, body: { files } });
const decoded = (response: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(response.body ?? "{}") as { error: { code: string; message: string; details?: { path: string; message: string }[] } };

const badManifests = [
  refusal("a '..' segment", registerFiles([file("ok.bin"), file("../x")])),
  refusal("an empty segment", registerFiles([file("a//b")])),
  refusal("an absolute path", registerFiles([file("/abs")])),
  refusal("a '.' segment", registerFiles([file("./a")])),
  refusal("a NUL", registerFiles([file("a\u0000b")])),
  refusal("a path that is not NFC", registerFiles([file("cafe\u0301")])),
  refusal("a path of 1,025 bytes", registerFiles([file("x".repeat(1025))])),
  refusal("two paths equal ignoring case", registerFiles([file("A.bin"), file("a.bin")])),
  refusal("a path that is a file and, ignoring case, another's directory", registerFiles([file("Model"), file("model/weights.bin")])),
  refusal("two files of one SHA-256 but different sizes", registerFiles([file("a.bin", 10), file("b.bin", 20)])),
  refusal("no files", registerFiles([])),
  refusal("10,001 files", registerFiles(Array.from({ length: 10_001 }, (_, i) => file(`f${i}`)))),
  refusal("files over the total size limit", registerFiles([file("a", MAX_TOTAL_BYTES), file("b", 1)])),
  refusal("parts declared for a file sent with one PUT", registerFiles([{ ...file("a"), parts: [{ partNumber: 1, sha256: digest }] }])),
];

describe("bad manifests get a clear 400 and change nothing", () => {
  it.each(badManifests)("answers $status $code to $name", async ({ request: event, status, code }) => {
    const before = await registry.state();

    const response = await catalog(event, lambdaContext);

    expect(response.statusCode).toBe(status);
    expect(decoded(response).error.code).toBe(code);
    expect(await registry.state()).toEqual(before);
  });

  it("names the file that declares another size for bytes an earlier file declared", async () => {
    const response = await catalog(registerFiles([file("a.bin", 10), file("weights/b.bin", 20)]), lambdaContext);

    expect(decoded(response).error.details).toEqual([
      {
        path: "body.files.1.sizeBytes",
        message:
          "file 1 ('weights/b.bin') declares 20 bytes with the SHA-256 of file 0 ('a.bin'), which declares 10: the same bytes have one size",
      },
    ]);
  });

  it("names the file (index and path) and the rule it breaks", async () => {
    const response = await catalog(registerFiles([file("ok.bin"), file("../x")]), lambdaContext);

    expect(decoded(response).error.details).toEqual([
      { path: "body.files.1.path", message: "file 1 ('../x'): a path has no '..' segments" },
    ]);
  });
});
