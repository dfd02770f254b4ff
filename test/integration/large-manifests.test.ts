import { beforeAll, describe, expect, it, vi } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "../../shared/s3-client";
import { apiBudgetContext, apiEvent, putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { loadHandlers, storeFailingAfter, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { completeAndVerify, runQueued } from "../support/verification";
import { MiB, artifactObjectKey } from "../../shared/domain/artifacts";
import { registerVersionBody } from "../../shared/schemas/version";
import type { FileUploadView, ManifestDownloadView } from "../../shared/schemas/artifact";
import { UPLOADS_PER_ANSWER, registerVersion } from "../../shared/use-cases/register-version";
import { listUploads } from "../../shared/use-cases/list-uploads";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { verifyFile } from "../../shared/use-cases/verify-file";
import { newFileVerification } from "../../shared/store/entities/file-verification";
import { versionKey } from "../../shared/store/entities/version";
import { mapConcurrently } from "../../shared/runs";
import { restartUpload } from "../../shared/use-cases/restart-upload";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { deleteModel } from "../../shared/use-cases/delete-model";
import { getVersion } from "../../shared/use-cases/get-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { getArtifactDownload, getFileDownload } from "../../shared/use-cases/get-artifact-download";

const ci = roleCaller("training-ci", "req-1");
const registry = useTestRegistry({ uploads: { urlExpirySeconds: 900, maxArtifactBytes: 64 * MiB } });
/** Hundreds of files, each uploaded, hashed and counted on its own against the local engines. */
const MANY_FILES_MS = 240_000;
let catalog: ApiHandler;

beforeAll(async () => {
  ({ catalog } = await loadHandlers(registry, "catalog"));
});

/** A model directory of `count` small files, each with its own random bytes. */
const directory = (count: number, prefix = "shards"): Map<string, Buffer> =>
  new Map(Array.from({ length: count }, (_, i) => [`${prefix}/part-${String(i).padStart(5, "0")}.bin`, randomBytes(64 + (i % 7))]));

const manifest = (files: Map<string, Buffer>) =>
  [...files].map(([path, bytes]) => ({ path, sizeBytes: bytes.length, sha256: sha256(bytes) }));

const register = (name: string, files: Map<string, Buffer>, deps = registry.deps) =>
  registerVersion(deps, name, registerVersionBody.parse({ files: manifest(files) }), ci);

/** The whole upload plan: the registration's first uploads, then GET …/artifact/uploads page by page. */
async function wholePlan(name: string, version: number, first: FileUploadView[], cursor: string | undefined): Promise<FileUploadView[]> {
  const plan = [...first];
  for (let next = cursor; next !== undefined; ) {
    const page = await listUploads(registry.deps, name, { number: version }, { limit: 100, cursor: next });
    plan.push(...page.uploads);
    next = page.nextCursor;
  }
  return plan;
}

/** PUTs every file the plan asks for; the paths it sent. */
async function uploadAsked(plan: FileUploadView[], files: Map<string, Buffer>): Promise<string[]> {
  const asked = plan.filter((file) => file.upload !== null);
  await Promise.all(asked.map(({ path, upload }) => putBytes(singlePut(upload), files.get(path) ?? Buffer.alloc(0))));
  return asked.map((file) => file.path);
}

const archive = (name: string, version: number) =>
  transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "superseded", archiveExisting: false }, ci);
const objectExists = async (bytes: Buffer) => (await registry.deps.artifacts.head(artifactObjectKey(sha256(bytes)))) !== undefined;
const refsOf = async (files: Iterable<Buffer>) => {
  const digests = new Set([...files].map((bytes) => `ARTIFACT#${sha256(bytes)}`));
  return (await registry.items()).filter((item) => digests.has(String(item.pk)));
};
const modelItems = async (name: string) => (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);

/** The registry's dependencies with a store that counts the manifest chunks it reads. */
function storeCountingChunks() {
  const read = { chunks: 0 };
  const store = new Proxy(registry.deps.store, {
    get(target, property) {
      if (property === "getManifestChunk")
        return (...args: Parameters<typeof target.getManifestChunk>) => {
          read.chunks++;
          return target.getManifestChunk(...args);
        };
      if (property === "listManifestChunks")
        return async (...args: Parameters<typeof target.listManifestChunks>) => {
          const chunks = await target.listManifestChunks(...args);
          read.chunks += chunks.length;
          return chunks;
        };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { deps: { ...registry.deps, store }, read };
}

describe("a version of 300 files: its manifest written in chunks, its upload plan paged", () => {
  const files = directory(300);
  const name = uniqueModelName("sharded");

  it(
    "registers, uploads every file, completes and verifies it to READY with one VERSION_READY",
    async () => {
      const registered = await register(name, files);

      expect(registered).toMatchObject({ status: "PENDING_UPLOAD", files: { count: 300, deduplicated: 0 } });
      expect(registered.files).not.toHaveProperty("registration");
      expect(registered.uploads).toHaveLength(UPLOADS_PER_ANSWER);
      const plan = await wholePlan(name, 1, registered.uploads ?? [], registered.nextUploadsCursor);
      expect(plan.map((file) => file.path)).toEqual([...files.keys()]);
      expect(await uploadAsked(plan, files)).toHaveLength(300);
      const accepted = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
      expect(accepted).toMatchObject({ status: "VERIFYING", verification: { filesVerified: 0, filesTotal: 300 } });
      expect(registry.deps.verifications.waiting).toHaveLength(300);
      await runQueued(registry.deps);

      expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "READY" });
      for (const ref of await refsOf(files.values())) expect(ref).toMatchObject({ refCount: 1, verifiedAt: expect.any(String) });
      const ready = (await modelItems(name)).filter((item) => item.action === "VERSION_READY");
      expect(ready).toEqual([expect.objectContaining({ version: 1 })]);
    },
    MANY_FILES_MS,
  );

  it(
    "lists the manifest across pages in the order declared, every file downloadable with its own bytes",
    async () => {
      const listed: ManifestDownloadView["files"] = [];
      let pages = 0;
      for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false, pages++) {
        const page = (await getArtifactDownload(registry.deps, name, { number: 1 }, { limit: 100, cursor })) as ManifestDownloadView;
        listed.push(...page.files);
        cursor = page.nextCursor;
      }

      expect(pages).toBe(3);
      expect(listed.map((file) => file.path)).toEqual([...files.keys()]);
      for (const file of listed) {
        const served = Buffer.from(await (await fetch(file.url)).arrayBuffer());
        expect(served.equals(files.get(file.path) ?? Buffer.alloc(0))).toBe(true);
      }
    },
    MANY_FILES_MS,
  );

  it("answers one file of the last chunk reading that chunk only, and a path it does not hold reading none", async () => {
    const { deps, read } = storeCountingChunks();
    const last = [...files.keys()][299] ?? "";

    const file = await getFileDownload(deps, name, { number: 1 }, last);

    expect(file).toMatchObject({ path: last, sha256: sha256(files.get(last) ?? Buffer.alloc(0)) });
    expect(Buffer.from(await (await fetch(file.url)).arrayBuffer()).equals(files.get(last) ?? Buffer.alloc(0))).toBe(true);
    expect(read.chunks).toBe(1);
    const absent = getFileDownload(deps, name, { number: 1 }, "shards/part-99999.bin");
    await expect(absent).rejects.toMatchObject({ code: "ArtifactNotFound", message: expect.stringContaining("'shards/part-99999.bin'") });
    expect(read.chunks).toBe(1);
  });

  it("still finds a file of a manifest registered before path fingerprints, reading its chunks", async () => {
    const item = (await modelItems(name)).find((candidate) => candidate.entity === "version" && candidate.version === 1) ?? {};
    const manifest = item.manifest as { chunks: Record<string, unknown> };
    const { pathFingerprints, ...chunks } = manifest.chunks;
    expect(pathFingerprints).toEqual(expect.any(String));
    const key = { pk: String(item.pk), sk: String(item.sk) };
    await registry.setAttributes(key, { manifest: { ...manifest, chunks } });
    const { deps, read } = storeCountingChunks();
    const last = [...files.keys()][299] ?? "";

    expect(await getFileDownload(deps, name, { number: 1 }, last)).toMatchObject({ path: last });
    expect(read.chunks).toBe(4); // 64 + 97 + 97 + 42 files
    await expect(getFileDownload(deps, name, { number: 1 }, "absent.bin")).rejects.toMatchObject({ code: "ArtifactNotFound" });
    await registry.setAttributes(key, { manifest });
  });

  it(
    "asks a second version sharing 250 files to upload only the 50 others, and deleting both releases every reference",
    async () => {
      const second = new Map([...[...files].slice(0, 250), ...directory(50, "retrained")]);
      const registered = await register(name, second);
      expect(registered).toMatchObject({ files: { count: 300, deduplicated: 250 } });
      const plan = await wholePlan(name, 2, registered.uploads ?? [], registered.nextUploadsCursor);
      expect(await uploadAsked(plan, second)).toEqual([...second.keys()].slice(250));
      expect(await completeAndVerify(registry.deps, name, { number: 2 }, ci)).toMatchObject({ status: "READY" });
      await archive(name, 1);
      await archive(name, 2);

      await deleteVersion(registry.deps, name, { number: 1 }, ci);

      const onlyFirst = [...files.values()].slice(250);
      for (const bytes of onlyFirst) expect(await objectExists(bytes)).toBe(false);
      expect(await refsOf(onlyFirst)).toEqual([]);
      const shared = await refsOf([...files.values()].slice(0, 250));
      expect(shared).toHaveLength(250);
      for (const ref of shared) expect(ref).toMatchObject({ refCount: 1 });

      const deleted = await deleteVersion(registry.deps, name, { number: 2 }, ci);

      expect(deleted.artifactDeleted).toBe(true);
      expect(await refsOf([...files.values(), ...second.values()])).toEqual([]);
      for (const bytes of second.values()) expect(await objectExists(bytes)).toBe(false);
      const left = (await modelItems(name)).map((item) => item.entity);
      expect(new Set(left)).toEqual(new Set(["model", "history", "turnTickets"]));
    },
    MANY_FILES_MS,
  );
});

describe("a registration cut off after its first chunk", () => {
  it("leaves a visibly incomplete version that complete refuses and deletion cleans, reference counts exact", async () => {
    const name = uniqueModelName("sharded");
    const earlier = directory(3, "earlier");
    await uploadAsked((await register(name, earlier)).uploads ?? [], earlier);
    await completeAndVerify(registry.deps, name, { number: 1 }, ci);
    // Shares one file with the first chunk and one with a chunk that is never written.
    const [inFirstChunk, inLaterChunk] = [...earlier.values()];
    const files = new Map([["a/shared.bin", inFirstChunk as Buffer], ...directory(200), ["z/shared.bin", inLaterChunk as Buffer]]);

    await expect(register(name, files, storeFailingAfter(registry, 0))).rejects.toThrow("injected");

    const cutOff = await getVersion(registry.deps, name, { number: 2 });
    expect(cutOff).toMatchObject({ status: "PENDING_UPLOAD", files: { count: 202, registration: { chunksWritten: 1 } } });
    const before = await registry.state();
    await expect(completeUpload(registry.deps, name, { number: 2 }, undefined, ci)).rejects.toMatchObject({
      code: "UploadIncomplete",
      message: expect.stringContaining("register the files again"),
    });
    await expect(restartUpload(registry.deps, name, { number: 2 }, {}, ci)).rejects.toMatchObject({ code: "UploadConflict" });
    expect(await registry.state()).toEqual(before);
    const taken = (await refsOf(files.values())).filter(
      (ref) => ref.refCount === 1 && !String(ref.pk).endsWith(sha256(inLaterChunk as Buffer)),
    );
    expect(await refsOf([inFirstChunk as Buffer])).toEqual([expect.objectContaining({ refCount: 2 })]);
    expect(await refsOf([inLaterChunk as Buffer])).toEqual([expect.objectContaining({ refCount: 1 })]);

    await deleteVersion(registry.deps, name, { number: 2 }, ci);

    expect(taken.length).toBeGreaterThan(1);
    for (const bytes of earlier.values()) expect(await refsOf([bytes])).toEqual([expect.objectContaining({ refCount: 1 })]);
    expect(await refsOf([...files.values()].slice(1, -1))).toEqual([]);
    const entities = new Set((await modelItems(name)).map((item) => item.entity));
    expect(entities.has("manifestChunk")).toBe(false);
    expect((await modelItems(name)).filter((item) => item.entity === "version").map((item) => item.version)).toEqual([1]);
  });

  it("is taken apart by the model's deletion too, every reference released", async () => {
    const name = uniqueModelName("sharded");
    const files = directory(200); // 64 + 97 + 39 files: the third chunk is never written
    await expect(register(name, files, storeFailingAfter(registry, 1))).rejects.toThrow("injected");
    expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ files: { registration: { chunksWritten: 2 } } });

    await deleteModel(registry.deps, name, ci);

    expect(await refsOf(files.values())).toEqual([]);
    expect(
      (await modelItems(name)).filter((item) => !["model", "history", "checkpoint", "turnTickets"].includes(String(item.entity))),
    ).toEqual([]);
  });
});

describe("writing a manifest's chunks", () => {
  it("writes each chunk after the first without reading the version back", async () => {
    const name = uniqueModelName("sharded");
    const store = Object.create(registry.deps.store) as typeof registry.deps.store;
    const versionReads = vi.spyOn(store, "getVersion");

    const registered = await register(name, directory(300), { ...registry.deps, store });

    expect(registered.files).not.toHaveProperty("registration");
    expect(versionReads).not.toHaveBeenCalled();
    const chunks = (await modelItems(name)).filter((item) => item.entity === "manifestChunk");
    expect(chunks.map((chunk) => (chunk.files as unknown[]).length)).toEqual([64, 97, 97, 42]);
  });

  it("writes no chunk onto a version whose deletion began between two chunks, and the registration answers 404", async () => {
    const name = uniqueModelName("sharded");
    const files = directory(200);
    let deletion: Promise<unknown> | undefined;
    const store = new Proxy(registry.deps.store, {
      get(target, property) {
        if (property === "change")
          return async (...args: Parameters<typeof target.change>) => {
            deletion ??= deleteVersion(registry.deps, name, { number: 1 }, ci);
            await deletion;
            return target.change(...args);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });

    await expect(register(name, files, { ...registry.deps, store })).rejects.toMatchObject({ code: "VersionNotFound" });

    expect(await refsOf(files.values())).toEqual([]);
    expect(
      (await modelItems(name)).filter((item) => !["model", "history", "checkpoint", "turnTickets"].includes(String(item.entity))),
    ).toEqual([]);
  });
});

describe("completing a manifest written in chunks", () => {
  const registerUploaded = async (name: string, files: Map<string, Buffer>, ...skipped: string[]) => {
    const registered = await register(name, files);
    const plan = await wholePlan(name, 1, registered.uploads ?? [], registered.nextUploadsCursor);
    await uploadAsked(
      plan.filter((file) => !skipped.includes(file.path)),
      files,
    );
  };
  /** Version 1 of `count` files, each uploaded but the `index`th, stored one byte short under its key (no URL would take that): its path and declared bytes. */
  const registerWithShortFile = async (name: string, count: number, index: number) => {
    const files = directory(count);
    const [path, declared] = [...files][index] as [string, Buffer];
    await registerUploaded(name, files, path);
    await createS3Client(registry.config).send(
      new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(sha256(declared)), Body: declared.subarray(1) }),
    );
    return { path, declared };
  };
  const verificationsOf = (name: string) => registry.deps.store.listFileVerifications(name, 1);

  it(
    "writes no file's verification: each file's first task writes it, and a duplicate of every task run beside it counts nothing twice",
    async () => {
      const name = uniqueModelName("sharded");
      await registerUploaded(name, directory(150));

      const accepted = await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);

      expect(accepted).toMatchObject({ status: "VERIFYING", verification: { filesVerified: 0, filesTotal: 150 } });
      expect(await verificationsOf(name)).toEqual([]);
      const tasks = registry.deps.verifications.waiting.splice(0);
      expect(tasks).toHaveLength(150);
      const outcomes = await mapConcurrently(tasks, 4, (task) =>
        Promise.all([verifyFile(registry.deps, task), verifyFile(registry.deps, task)]),
      );
      await runQueued(registry.deps);

      expect(outcomes.flat().filter((outcome) => outcome === "hashed").length).toBeGreaterThanOrEqual(150);
      expect(await verificationsOf(name)).toHaveLength(150);
      expect(await registry.deps.store.getVerificationTally(name, 1)).toMatchObject({ filesVerified: 150, filesTotal: 150 });
      expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "READY" });
      expect((await modelItems(name)).filter((item) => item.action === "VERSION_READY")).toHaveLength(1);
    },
    MANY_FILES_MS,
  );

  it(
    "starts one verification for two concurrent completions (5 rounds): one first task per file, all of that verification",
    async () => {
      for (let round = 1; round <= 5; round++) {
        const name = uniqueModelName("sharded");
        await registerUploaded(name, directory(150));

        const answers = await Promise.all([1, 2].map(() => completeUpload(registry.deps, name, { number: 1 }, undefined, ci)));

        expect(answers.map((answer) => answer.status)).toEqual(["VERIFYING", "VERIFYING"]);
        const tasks = registry.deps.verifications.waiting.splice(0);
        expect(new Set(tasks.map((task) => task.index)).size).toBe(150);
        expect(tasks).toHaveLength(150);
        expect(new Set(tasks.map((task) => task.startedAt)).size).toBe(1);
      }
    },
    MANY_FILES_MS,
  );

  it(
    "refuses with 409 naming the one file not uploaded, and writes nothing: no tally, no verification, no task",
    async () => {
      const name = uniqueModelName("sharded");
      const files = directory(150);
      const missing = [...files.keys()][137] as string;
      await registerUploaded(name, files, missing);

      await expect(completeUpload(registry.deps, name, { number: 1 }, undefined, ci)).rejects.toMatchObject({
        code: "UploadIncomplete",
        details: { missing: [`${missing} (PUT it)`] },
      });
      expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "PENDING_UPLOAD" });
      expect(await registry.deps.store.getVerificationTally(name, 1)).toBeUndefined();
      expect(await verificationsOf(name)).toEqual([]);
      expect(registry.deps.verifications.waiting).toEqual([]);
    },
    MANY_FILES_MS,
  );

  /** `target` with its methods' calls counted by name. */
  function callsCounted<T extends object>(target: T) {
    const calls: Record<string, number> = {};
    const counted = new Proxy(target, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls[String(property)] = (calls[String(property)] ?? 0) + 1;
          return value.apply(counted, args);
        };
      },
    });
    return { counted, calls };
  }

  /** The registry's dependencies with a bucket that counts the HEADs and listing pages it asks S3 for. */
  function bucketCounting() {
    const { counted: artifacts, calls } = callsCounted(registry.deps.artifacts);
    return { deps: { ...registry.deps, artifacts }, asked: () => ({ heads: calls.head ?? 0, pages: calls.list ?? 0 }) };
  }

  /** The registry's dependencies with the verifier's reads of stored bytes counted: HEADs and ranged GETs. */
  function artifactReadsCounting() {
    const { counted: artifactReads, calls } = callsCounted(registry.deps.artifactReads);
    return { deps: { ...registry.deps, artifactReads }, asked: () => ({ heads: calls.head ?? 0, ranges: calls.readRange ?? 0 }) };
  }

  it(
    "checks 250 files with a few listing pages, not a HEAD each, and refuses with 409 naming the two not uploaded, in different pages",
    async () => {
      const name = uniqueModelName("sharded");
      const files = directory(250);
      const paths = [...files.keys()];
      const missing = [paths[60], paths[190]] as string[];
      await registerUploaded(name, files, ...missing);
      const { deps, asked } = bucketCounting();

      const completion = completeUpload(deps, name, { number: 1 }, undefined, ci);

      await expect(completion).rejects.toMatchObject({
        code: "UploadIncomplete",
        details: { missing: missing.map((path) => `${path} (PUT it)`) },
      });
      // The local S3 keeps no checksums, so no listed object needs a HEAD for its SHA-256 either.
      expect(asked().heads).toBe(0);
      expect(asked().pages).toBeGreaterThanOrEqual(3);
      expect(asked().pages).toBeLessThanOrEqual(12);
    },
    MANY_FILES_MS,
  );

  it(
    "fails a version of 250 files whose one object in the middle of a listing page has another size, naming it, without hashing",
    async () => {
      const name = uniqueModelName("sharded");
      const { path, declared } = await registerWithShortFile(name, 250, 125);
      const { deps, asked } = bucketCounting();

      const failed = await completeUpload(deps, name, { number: 1 }, undefined, ci);

      expect(failed.status).toBe("FAILED");
      expect(JSON.stringify(failed)).toContain(
        `${path}: size mismatch: ${declared.length} bytes were declared, the stored object has ${declared.length - 1}`,
      );
      expect(asked().heads).toBe(0);
      expect(registry.deps.verifications.waiting).toEqual([]);
    },
    MANY_FILES_MS,
  );

  it(
    "answers a download of a FAILED version of 65 files with 409 saying to delete it and register again, as it is not uploaded again",
    async () => {
      const name = uniqueModelName("sharded");
      await registerWithShortFile(name, 65, 0);
      expect(await completeUpload(registry.deps, name, { number: 1 }, undefined, ci)).toMatchObject({ status: "FAILED" });

      await expect(getArtifactDownload(registry.deps, name, { number: 1 }, { limit: 25 })).rejects.toMatchObject({
        code: "VersionNotReady",
        message:
          `Version 1 of '${name}' is FAILED: only READY versions can be downloaded, and its bytes failed verification, and a manifest ` +
          `of this many files is not uploaded again; delete it and register its files again, or download another version (e.g. GET /models/${name}/versions/latest/artifact).`,
      });
      await expect(restartUpload(registry.deps, name, { number: 1 }, {}, ci)).rejects.toMatchObject({ code: "UploadConflict" });
    },
    MANY_FILES_MS,
  );

  it(
    "sends again the first tasks a completion never sent once nothing has moved for longer than a task may run, and the version becomes READY",
    async () => {
      const name = uniqueModelName("sharded");
      await registerUploaded(name, directory(150));
      const queueDown = {
        ...registry.deps,
        verifications: { send: () => Promise.reject(new Error("injected: the queue stopped answering")) },
      };

      await expect(completeUpload(queueDown, name, { number: 1 }, undefined, ci)).rejects.toThrow("injected");
      expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({
        status: "VERIFYING",
        verification: { filesVerified: 0, filesTotal: 150 },
      });
      await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
      expect(registry.deps.verifications.waiting).toEqual([]);

      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(Date.now() + 17 * 60_000);
        await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
      } finally {
        vi.useRealTimers();
      }

      expect(new Set(registry.deps.verifications.waiting.map((task) => task.index)).size).toBe(150);
      await runQueued(registry.deps);
      expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ status: "READY" });
    },
    MANY_FILES_MS,
  );

  it(
    "settles a second version of the same 150 files, verified by the first after both registered, READY without hashing: more objects than one commit may mark",
    async () => {
      const name = uniqueModelName("sharded");
      const files = directory(150);
      await registerUploaded(name, files);
      const second = await register(name, files);
      expect(second.uploads?.filter((file) => file.upload !== null)).toHaveLength(second.uploads?.length ?? -1);
      await completeAndVerify(registry.deps, name, { number: 1 }, ci);

      const { deps, asked } = artifactReadsCounting();

      const completed = await completeUpload(deps, name, { number: 2 }, undefined, ci);
      await runQueued(deps);

      expect(completed).toMatchObject({ status: "VERIFYING", verification: { filesTotal: 150 } });
      expect(asked()).toEqual({ heads: 0, ranges: 0 });
      expect(await getVersion(registry.deps, name, { number: 2 })).toMatchObject({ status: "READY" });
      expect((await modelItems(name)).filter((item) => item.action === "VERSION_READY" && item.version === 2)).toHaveLength(1);
    },
    MANY_FILES_MS,
  );

  it("writes a first task's verification only while its version is in it, never over a later one's progress, over an earlier one's", async () => {
    const name = uniqueModelName("sharded");
    await register(name, directory(150));
    const [version] = (await modelItems(name)).filter((item) => item.entity === "version");
    const verifying = (startedAt: string, status = "VERIFYING") =>
      registry.setAttributes(versionKey(name, 1), {
        status,
        manifest: { ...(version?.manifest as object), verificationStartedAt: startedAt },
      });
    const file = (startedAt: string, index = 0) =>
      newFileVerification({
        model: name,
        version: 1,
        path: `shards/part-0000${index}.bin`,
        index,
        key: artifactObjectKey("a".repeat(64)),
        sizeBytes: 64,
        sha256: "a".repeat(64),
        startedAt,
        actor: ci.actor,
        requestId: ci.requestId,
      });
    const [earlier, later] = [file("2026-01-01T00:00:00.000Z"), file("2026-01-02T00:00:00.000Z")];

    await verifying(earlier.startedAt);
    expect(await registry.deps.fileVerifications.start(earlier)).toEqual(earlier);
    await verifying(later.startedAt);
    expect(await registry.deps.fileVerifications.start(later)).toEqual(later);
    expect(await registry.deps.fileVerifications.start(earlier)).toBeUndefined();
    expect(await registry.deps.fileVerifications.start({ ...later, requestId: "a-duplicate" })).toEqual(later);
    // The version left the verification (a file failed, say) before this file's first task wrote its progress.
    await verifying(later.startedAt, "FAILED");
    expect(await registry.deps.fileVerifications.start(file(later.startedAt, 1))).toBeUndefined();
    expect(await verificationsOf(name)).toEqual([later]);
  });
});

describe("Idempotency-Key on a large registration", () => {
  // 1,000 files take longer than the fixture's 10 s on a busy machine: the deployed function's time.
  it(
    "replays the first answer, well under 400 KB, and registers once",
    async () => {
      const name = uniqueModelName("sharded");
      const body = { files: manifest(directory(1_000)) };
      const send = () =>
        catalog(
          apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name }, body, headers: { "idempotency-key": key } }),
          apiBudgetContext,
        );
      const key = randomUUID();

      const first = await send();
      const retry = await send();

      expect(first.statusCode).toBe(201);
      expect(retry.body).toBe(first.body);
      expect(retry.headers?.["idempotent-replayed"]).toBe("true");
      expect(Buffer.byteLength(first.body ?? "")).toBeLessThan(100_000);
      expect(JSON.parse(first.body ?? "{}")).toMatchObject({ files: { count: 1_000 }, nextUploadsCursor: expect.any(String) });
      expect((await modelItems(name)).filter((item) => item.entity === "version")).toHaveLength(1);
    },
    MANY_FILES_MS,
  );
});
