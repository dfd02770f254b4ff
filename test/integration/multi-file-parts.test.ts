import { beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { apiEvent, lambdaContext, putBytes, refusal, roleCaller, sha256, singlePut } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { runQueued } from "../support/verification";
import { GiB, MiB, artifactObjectKey } from "../../shared/domain/artifacts";
import { MAX_PART_URLS_PER_REQUEST, type UploadView } from "../../shared/schemas/artifact";
import { registerVersionBody } from "../../shared/schemas/version";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { deleteModel } from "../../shared/use-cases/delete-model";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { getFileDownload } from "../../shared/use-cases/get-artifact-download";
import { getVersion } from "../../shared/use-cases/get-version";
import { registerVersion, type RegisteredVersion } from "../../shared/use-cases/register-version";
import { requestPartUrls } from "../../shared/use-cases/request-part-urls";
import { transitionVersion } from "../../shared/use-cases/transition-version";

const ci = roleCaller("training-ci", "req-1");
const admin = roleCaller("registry-admin", "req-admin", ["reader", "publisher", "promoter", "admin"]);
const registry = useTestRegistry({ uploads: { urlExpirySeconds: 900, maxArtifactBytes: GiB } });
let artifacts: ApiHandler;
let catalog: ApiHandler;

beforeAll(async () => {
  ({ artifacts, catalog } = await loadHandlers(registry, "artifacts", "catalog"));
});

/** Over the 64 MiB a single PUT carries: three parts of 24 MiB (the last one shorter). */
const LARGE_BYTES = 65 * MiB;
const PART_BYTES = 24 * MiB;
const largeBase = randomBytes(LARGE_BYTES);
/** A large file of its own (its first bytes random), so no other test shares its object. */
const largeFile = (): Buffer => Buffer.concat([randomBytes(64), largeBase.subarray(64)]);
const partsOf = (bytes: Buffer): Buffer[] =>
  Array.from({ length: Math.ceil(bytes.length / PART_BYTES) }, (_, i) => bytes.subarray(i * PART_BYTES, (i + 1) * PART_BYTES));
const partDigests = (bytes: Buffer) => partsOf(bytes).map((part, i) => ({ partNumber: i + 1, sha256: sha256(part) }));

type Directory = Map<string, Buffer>;
const declaration = (files: Directory, declareParts = (_path: string, bytes: Buffer) => partDigests(bytes)) =>
  [...files].map(([path, bytes]) => ({
    path,
    sizeBytes: bytes.length,
    sha256: sha256(bytes),
    ...(bytes.length > 64 * MiB ? { partSizeBytes: PART_BYTES, parts: declareParts(path, bytes) } : {}),
  }));
const register = (name: string, files: ReturnType<typeof declaration>) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ files }), ci);

const uploadOf = (registered: RegisteredVersion, path: string): UploadView | null =>
  registered.uploads?.find((file) => file.path === path)?.upload ?? null;
function multipart(upload: UploadView | null): Extract<UploadView, { method: "MULTIPART" }> {
  if (upload?.method !== "MULTIPART") throw new Error(`expected a multipart upload, got ${JSON.stringify(upload)}`);
  return upload;
}

/** PUTs each part with a URL in `upload`; the ETags S3 answered, by part number. */
async function putParts(upload: UploadView | null, bytes: Buffer): Promise<{ partNumber: number; etag: string }[]> {
  const parts = partsOf(bytes);
  return Promise.all(
    multipart(upload).parts.map(async (url) => ({
      partNumber: url.partNumber,
      etag: await putBytes(url, parts[url.partNumber - 1] ?? Buffer.alloc(0)),
    })),
  );
}

const objectExists = async (bytes: Buffer) => (await registry.deps.artifacts.head(artifactObjectKey(sha256(bytes)))) !== undefined;
const uploadPartsItems = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "uploadParts");
const archive = (name: string, version: number) =>
  transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "superseded", archiveExisting: false }, ci);

/** A version of two files in parts, `shard-1.bin` and `shard-2.bin`, registered with every part declared. */
async function registerTwoShards(name: string) {
  const [first, second] = [largeFile(), largeFile()];
  const shards = new Map([
    ["shard-1.bin", first],
    ["shard-2.bin", second],
  ]);
  return { first, second, registered: await register(name, declaration(shards)) };
}

describe("files over the single-PUT limit inside a manifest, against the S3 front and DynamoDB Local", () => {
  it("takes a manifest of one file in parts and two small files to READY, the third part's URL asked for by path", async () => {
    const name = uniqueModelName("llm");
    const weights = largeFile();
    const files: Directory = new Map([
      ["model-00001.safetensors", weights],
      ["config.json", randomBytes(300)],
      ["tokenizer/vocab.json", randomBytes(700)],
    ]);

    const registered = await register(
      name,
      declaration(files, (_path, bytes) => partDigests(bytes).slice(0, 2)),
    );
    const upload = multipart(uploadOf(registered, "model-00001.safetensors"));
    expect(upload).toMatchObject({ partSizeBytes: PART_BYTES, partCount: 3 });
    expect(upload.parts.map((part) => part.partNumber)).toEqual([1, 2]);
    const third = await requestPartUrls(
      registry.deps,
      name,
      { number: 1 },
      { path: "model-00001.safetensors", parts: [partDigests(weights)[2]!] },
      ci,
    );
    expect(multipart(third).uploadId).toBe(upload.uploadId);
    const etags = [...(await putParts(upload, weights)), ...(await putParts(third, weights))];
    for (const path of ["config.json", "tokenizer/vocab.json"]) await putBytes(singlePut(uploadOf(registered, path)), files.get(path)!);

    const accepted = await completeUpload(
      registry.deps,
      name,
      { number: 1 },
      { files: [{ path: "model-00001.safetensors", parts: etags }] },
      ci,
    );
    expect(accepted).toMatchObject({ status: "VERIFYING", verification: { filesTotal: 3 } });
    await runQueued(registry.deps);

    expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "READY", files: { count: 3 } });
    const { url } = await getFileDownload(registry.deps, name, { number: 1 }, "model-00001.safetensors");
    const downloaded = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(weights));
  }, 60_000);

  it("has the S3 front refuse a part whose bytes differ from the digest its URL signed", async () => {
    const name = uniqueModelName("llm");
    const registered = await register(name, declaration(new Map([["weights.bin", largeFile()]])));
    const [url] = multipart(uploadOf(registered, "weights.bin")).parts;

    const response = await fetch(url!.url, { method: "PUT", headers: url!.headers, body: randomBytes(PART_BYTES) });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>BadDigest</Code>");
  });

  it("answers 409 naming the file whose parts a completion misses, assembling nothing and changing nothing", async () => {
    const name = uniqueModelName("llm");
    const { first, registered } = await registerTwoShards(name);
    const etags = await putParts(uploadOf(registered, "shard-1.bin"), first);
    const before = await registry.state();

    const completion = completeUpload(registry.deps, name, { number: 1 }, { files: [{ path: "shard-1.bin", parts: etags }] }, ci);

    await expect(completion).rejects.toMatchObject({ code: "UploadIncomplete", details: { missing: ["shard-2.bin (no parts named)"] } });
    expect(await registry.state()).toEqual(before);
    expect(await objectExists(first)).toBe(false);
  }, 60_000);

  it("completes on retry after a completion died between two files' assemblies: each file is assembled once", async () => {
    const name = uniqueModelName("llm");
    const { first, second, registered } = await registerTwoShards(name);
    const body = {
      files: [
        { path: "shard-1.bin", parts: await putParts(uploadOf(registered, "shard-1.bin"), first) },
        { path: "shard-2.bin", parts: await putParts(uploadOf(registered, "shard-2.bin"), second) },
      ],
    };
    // The function stops (a timeout, a lost connection) once S3 assembled the first file and before the second.
    const assembledKeys: string[] = [];
    const bucket = registry.deps.artifacts;
    const dying = Object.assign(Object.create(bucket) as typeof bucket, {
      completeMultipart: async (...args: Parameters<typeof bucket.completeMultipart>) => {
        if (assembledKeys.length === 1) throw new Error("the function timed out");
        assembledKeys.push(args[0]);
        return bucket.completeMultipart(...args);
      },
    });
    await expect(completeUpload({ ...registry.deps, artifacts: dying }, name, { number: 1 }, body, ci)).rejects.toThrow("timed out");
    expect(await objectExists(first)).toBe(true);
    expect((await getVersion(registry.deps, name, { number: 1 })).status).toBe("PENDING_UPLOAD");

    const retried = await completeUpload(registry.deps, name, { number: 1 }, body, ci);

    expect(retried.status).toBe("VERIFYING");
    await runQueued(registry.deps);
    expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "READY", files: { count: 2 } });
  }, 90_000);

  it("stores an empty file with a PUT of 0 bytes and verifies it", async () => {
    const name = uniqueModelName("llm");
    const files: Directory = new Map([
      ["pkg/__init__.py", Buffer.alloc(0)],
      ["pkg/model.py", randomBytes(400)],
    ]);
    const registered = await register(name, declaration(files));
    for (const [path, bytes] of files) if (uploadOf(registered, path)) await putBytes(singlePut(uploadOf(registered, path)), bytes);

    const accepted = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
    await runQueued(registry.deps);

    expect(accepted.status).not.toBe("FAILED");
    expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "READY", files: { count: 2, totalBytes: 400 } });
    expect(await registry.deps.artifacts.head(artifactObjectKey(sha256("")))).toMatchObject({ sizeBytes: 0 });
  });
});

/** A multi-file version with a file in parts still uploading: part 1 sent, its URL kept. */
async function uploadingInParts(name: string, smallFiles: Directory = new Map()) {
  const part = randomBytes(4096);
  const declaredBytes = randomBytes(1024);
  const registered = await register(name, [
    ...declaration(smallFiles),
    {
      path: "weights.bin",
      sizeBytes: LARGE_BYTES,
      sha256: sha256(declaredBytes),
      partSizeBytes: PART_BYTES,
      parts: [{ partNumber: 1, sha256: sha256(part) }],
    },
  ]);
  const [url] = multipart(uploadOf(registered, "weights.bin")).parts;
  if (!url) throw new Error("expected part 1's URL");
  expect((await fetch(url.url, { method: "PUT", headers: url.headers, body: part })).status).toBe(200);
  return { registered, resend: () => fetch(url.url, { method: "PUT", headers: url.headers, body: part }) };
}

describe("removing multi-file versions with files in parts", () => {
  it("aborts the multipart upload of each file when a PENDING_UPLOAD version is deleted, and drops their declared parts", async () => {
    const name = uniqueModelName("llm");
    const { resend } = await uploadingInParts(name);
    expect(await uploadPartsItems(name)).toHaveLength(1);

    await archive(name, 1);
    await deleteVersion(registry.deps, name, { number: 1 }, ci);

    const afterwards = await resend();
    expect(afterwards.status).toBe(404);
    expect(await afterwards.text()).toContain("<Code>NoSuchUpload</Code>");
    expect(await uploadPartsItems(name)).toEqual([]);
  });

  it("deletes a model whose versions share objects with each other and another model: the other model's objects survive", async () => {
    const [name, other] = [uniqueModelName("llm"), uniqueModelName("llm")];
    const [own, sharedWithin, sharedAcross] = [randomBytes(500), randomBytes(600), randomBytes(700)];
    const first: Directory = new Map([
      ["a.bin", own],
      ["b.bin", sharedWithin],
      ["c.bin", sharedAcross],
    ]);
    const registered = await register(name, declaration(first));
    for (const [path, bytes] of first) await putBytes(singlePut(uploadOf(registered, path)), bytes);
    await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
    await runQueued(registry.deps);
    const { resend } = await uploadingInParts(name, new Map([["b.bin", sharedWithin]]));
    expect(await register(other, declaration(new Map([["c.bin", sharedAcross]])))).toMatchObject({ status: "READY" });

    await deleteModel(registry.deps, name, admin);

    expect(await objectExists(own)).toBe(false);
    expect(await objectExists(sharedWithin)).toBe(false);
    expect(await objectExists(sharedAcross)).toBe(true);
    expect((await resend()).status).toBe(404);
    expect(await uploadPartsItems(name)).toEqual([]);
    expect(await getVersion(registry.deps, other, { number: 1 })).toMatchObject({ status: "READY" });
  });
});

describe("bad requests about a manifest's parts get a 400 and change nothing", () => {
  let name: string;
  const digest = sha256("part");
  const large = { sizeBytes: LARGE_BYTES, sha256: sha256(randomBytes(64)), partSizeBytes: PART_BYTES };
  beforeAll(async () => {
    name = uniqueModelName("llm");
    // Version 1: a file in parts and a small one; 2: one artifact; 3: two files with the same bytes, in parts.
    await uploadingInParts(name, new Map([["config.json", randomBytes(100)]]));
    const artifact = { filename: "model.bin", sizeBytes: 1000, sha256: sha256(randomBytes(1000)) };
    await registerVersion(registry.deps, name, registerVersionBody.parse({ artifact }), ci);
    await register(name, [
      { path: "weights.bin", ...large },
      { path: "copy-of-weights.bin", ...large },
    ]);
  });
  const partUrls = (body: unknown, v = 1) => ({ routeKey: "POST /models/{name}/versions/{v}/artifact/parts", body, v });
  const completion = (body: unknown, v = 1) => ({ routeKey: "POST /models/{name}/versions/{v}/artifact/complete", body, v });
  /** Half the part URLs an answer holds, and one more: two files of these declare too many together, neither alone. */
  const manyParts = (from: number) =>
    Array.from({ length: MAX_PART_URLS_PER_REQUEST / 2 + 1 }, (_, i) => ({ partNumber: from + i, sha256: digest }));
  const cases = [
    refusal(`a registration declaring more than ${MAX_PART_URLS_PER_REQUEST} part URLs across its files`, {
      routeKey: "POST /models/{name}/versions",
      body: {
        files: [
          { path: "a.bin", ...large, partSizeBytes: 5 * MiB, parts: manyParts(1) },
          { path: "b.bin", ...large, sha256: digest, partSizeBytes: 5 * MiB, parts: manyParts(1) },
        ],
      },
    }),
    refusal(
      "part URLs for a file whose bytes another file of the manifest uploads",
      partUrls({ path: "copy-of-weights.bin", parts: manyParts(1).slice(0, 1) }, 3),
    ),
    refusal(
      "completing a single artifact with files",
      completion({ files: [{ path: "model.bin", parts: [{ partNumber: 1, etag: "e" }] }] }, 2),
    ),
    refusal("part URLs for a path not in the manifest", partUrls({ path: "other.bin", parts: [{ partNumber: 1, sha256: digest }] })),
    refusal("part URLs for a single-PUT file", partUrls({ path: "config.json", parts: [{ partNumber: 1, sha256: digest }] })),
    refusal("part URLs beyond the file's part count", partUrls({ path: "weights.bin", parts: [{ partNumber: 4, sha256: digest }] })),
    refusal(
      "part URLs naming a part twice",
      partUrls({
        path: "weights.bin",
        parts: [
          { partNumber: 1, sha256: digest },
          { partNumber: 1, sha256: digest },
        ],
      }),
    ),
    refusal(
      "completing parts of a path not in the manifest",
      completion({ files: [{ path: "other.bin", parts: [{ partNumber: 1, etag: "e" }] }] }),
    ),
    refusal(
      "completing parts of a single-PUT file",
      completion({ files: [{ path: "config.json", parts: [{ partNumber: 1, etag: "e" }] }] }),
    ),
    refusal(
      "completing with a duplicate part number",
      completion({
        files: [
          {
            path: "weights.bin",
            parts: [1, 2, 2, 3].map((partNumber) => ({ partNumber, etag: "e" })),
          },
        ],
      }),
    ),
    refusal(
      "completing with a part beyond the file's part count",
      completion({ files: [{ path: "weights.bin", parts: [1, 2, 3, 4].map((partNumber) => ({ partNumber, etag: "e" })) }] }),
    ),
    refusal(
      "completing naming a file twice",
      completion({
        files: [
          { path: "weights.bin", parts: [{ partNumber: 1, etag: "e" }] },
          { path: "weights.bin", parts: [{ partNumber: 2, etag: "e" }] },
        ],
      }),
    ),
    refusal("completing a multi-file version with top-level parts", completion({ parts: [{ partNumber: 1, etag: "e" }] })),
  ];

  it.each(cases)("answers $status $code to $name", async ({ request, status, code }) => {
    const before = await registry.state();

    const { routeKey, body, v } = request as { routeKey: string; body: unknown; v?: number };
    const handler = v === undefined ? catalog : artifacts;
    const response = await handler(apiEvent({ routeKey, body, pathParameters: { name, ...(v ? { v: String(v) } : {}) } }), lambdaContext);

    expect(response.statusCode, response.body).toBe(status);
    expect(JSON.parse(response.body ?? "{}").error.code).toBe(code);
    expect(await registry.state()).toEqual(before);
  });
});
