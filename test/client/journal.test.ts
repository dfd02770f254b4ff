import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultJournalDirectory,
  DirectoryJournal,
  directoryJournalMismatch,
  journalMismatch,
  journalPath,
  UploadJournal,
  type DirectoryPushIdentity,
  type PushIdentity,
} from "../../client/journal";

const push: PushIdentity = {
  registry: "http://127.0.0.1:3000/",
  model: "fraud_detector",
  file: "/data/model.tar.gz",
  sizeBytes: 150 * 1024 * 1024,
  mtimeMs: 1_700_000_000_000,
  sha256: "3f2a".padEnd(64, "0"),
  partSizeBytes: 8 * 1024 * 1024,
  partCount: 19,
  registrationSha256: "ab".padEnd(64, "0"),
};
const journal = { format: 1 as const, ...push, idempotencyKey: "k-1", version: 7, parts: [{ partNumber: 1, etag: '"e1"' }] };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-journal-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a resume journal", () => {
  it("is trusted for the very same file and registration", () => {
    expect(journalMismatch(journal, push)).toBeUndefined();
  });

  it.each([
    ["a file of another size", { sizeBytes: push.sizeBytes + 1 }, "the file's size changed"],
    ["a file modified since", { mtimeMs: push.mtimeMs + 1 }, "the file was modified since"],
    ["a file with other bytes", { sha256: "ff".padEnd(64, "0") }, "the file's SHA-256 changed"],
    ["another part size", { partSizeBytes: 16 * 1024 * 1024, partCount: 10 }, "the part size changed"],
    ["other metadata", { registrationSha256: "cd".padEnd(64, "0") }, "the version's metadata changed"],
  ])("is discarded for %s", (_, change, reason) => {
    expect(journalMismatch(journal, { ...push, ...change })).toContain(reason);
  });

  it("lives under XDG_CACHE_HOME, else ~/.cache, one file per registry, model and file", () => {
    expect(defaultJournalDirectory({ XDG_CACHE_HOME: "/cache" })).toBe("/cache/model-registry/uploads");
    expect(defaultJournalDirectory({})).toMatch(/\.cache\/model-registry\/uploads$/);
    expect(journalPath("/j", push)).not.toBe(journalPath("/j", { ...push, model: "churn_predictor" }));
    expect(journalPath("/j", push)).toBe(journalPath("/j", { ...push }));
  });

  it("keeps every part recorded, and reads back what it wrote", async () => {
    const path = join(dir, "one.json");
    const started = await UploadJournal.start(path, push);
    await started.registered(7);
    await Promise.all([started.partDone({ partNumber: 2, etag: '"e2"' }), started.partDone({ partNumber: 1, etag: '"e1"' })]);

    expect(await UploadJournal.read(path)).toMatchObject({
      ...push,
      version: 7,
      idempotencyKey: started.idempotencyKey,
      parts: [{ partNumber: 2 }, { partNumber: 1 }],
    });
  });

  it("reports a journal cut short or foreign as unreadable, never trusting it", async () => {
    await writeFile(join(dir, "cut.json"), '{"format":1,"registry"');
    await writeFile(join(dir, "foreign.json"), JSON.stringify({ ...journal, format: 2 }));

    expect(await UploadJournal.read(join(dir, "cut.json"))).toEqual({ unreadable: "it is not JSON (cut short?)" });
    expect(await UploadJournal.read(join(dir, "foreign.json"))).toEqual({ unreadable: "it is not a journal this client wrote" });
    expect(await UploadJournal.read(join(dir, "absent.json"))).toBeUndefined();
  });
});

const directoryPush: DirectoryPushIdentity = {
  registry: "http://127.0.0.1:3000/",
  model: "fraud_ensemble",
  directory: "/data/fraud_model",
  files: [
    { path: "config.json", sizeBytes: 21, mtimeMs: 1_700_000_000_000, sha256: "c0".padEnd(64, "0") },
    { path: "model.safetensors", sizeBytes: 80 * 1024 * 1024, mtimeMs: 1_700_000_000_000, sha256: "e1".padEnd(64, "0") },
  ],
  registrationSha256: "ab".padEnd(64, "0"),
};
const directoryJournal = { format: 1 as const, ...directoryPush, idempotencyKey: "k-2", version: 3, uploads: [] };
const [config, weights] = directoryPush.files as [DirectoryPushIdentity["files"][number], DirectoryPushIdentity["files"][number]];

describe("a directory's resume journal", () => {
  it("is trusted for the very same files and registration", () => {
    expect(directoryJournalMismatch(directoryJournal, directoryPush)).toBeUndefined();
  });

  it.each([
    ["a file added", [config, weights, { ...config, path: "vocab.txt" }], "'vocab.txt' was added"],
    ["a file removed", [weights], "'config.json' was removed"],
    ["a file of another size", [{ ...config, sizeBytes: 22 }, weights], "the size of 'config.json' changed (21 → 22 bytes)"],
    ["a file modified since", [config, { ...weights, mtimeMs: weights.mtimeMs + 1 }], "'model.safetensors' was modified since"],
    ["a file with other bytes", [{ ...config, sha256: "ff".padEnd(64, "0") }, weights], "the SHA-256 of 'config.json' changed"],
  ])("is discarded for %s, naming the file", (_, files, reason) => {
    expect(directoryJournalMismatch(directoryJournal, { ...directoryPush, files })).toBe(reason);
  });

  it("keeps a file's parts through a restart that kept its upload, and drops them when the upload changed", async () => {
    const path = join(dir, "directory.json");
    const started = await DirectoryJournal.start(path, directoryPush);
    await started.registered(3, [{ path: "config.json" }, { path: "model.safetensors", uploadId: "u-1" }]);
    await started.partDone("model.safetensors", { partNumber: 1, etag: '"e1"' });
    await started.fileDone("config.json");

    await started.restarted([{ path: "config.json" }, { path: "model.safetensors", uploadId: "u-1" }]);
    const kept = await DirectoryJournal.read(path);
    await started.restarted([{ path: "model.safetensors", uploadId: "u-2" }]);

    expect(kept).toMatchObject({
      uploads: [
        { path: "config.json", done: true },
        { path: "model.safetensors", uploadId: "u-1", parts: [{ partNumber: 1 }], done: false },
      ],
    });
    expect(await DirectoryJournal.read(path)).toMatchObject({
      uploads: [{ path: "model.safetensors", uploadId: "u-2", parts: [], done: false }],
    });
  });
});
