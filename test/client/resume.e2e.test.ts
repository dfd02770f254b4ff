import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";
import { MiB } from "../../shared/domain/artifacts";
import { EXIT, main } from "../../client/cli";
import {
  defaultJournalDirectory,
  DirectoryJournal,
  journalPath,
  UploadJournal,
  type DirectoryJournalEntry,
  type JournalEntry,
} from "../../client/journal";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import type { CliIo } from "../../client/render";
import { uniqueModelName } from "../support/registry";

/** A push interrupted (kill -9, network loss) and run again with the same command uploads only what is missing. */

const repoRoot = resolve(import.meta.dirname, "../..");
const PARTS = 16;
let registry: LocalRegistry;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-resume-"));
  registry = await startLocalRegistry({ port: 0, dataDir: join(dir, "data"), quiet: true });
  env = { ...process.env, REGISTRY_URL: registry.url, XDG_CACHE_HOME: join(dir, "cache") };
});
afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function modelFile(name: string): Promise<{ path: string; sha256: string }> {
  const bytes = randomBytes(PARTS * 5 * MiB);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, sha256: createHash("sha256").update(bytes).digest("hex") };
}

const pushArgs = (file: string, model: string) => ["push", file, "--model", model, "--part-size", "5", "--concurrency", "1", "--json"];
const journalOf = (file: string, model: string) =>
  journalPath(defaultJournalDirectory(env), { registry: new URL(registry.url).href, model, file });

/**
 * The CLI in this process, counting the part numbers it PUTs and the whole files it PUTs;
 * `failPartsFrom`: every PUT of that part and later ones loses the network; `failFilesFrom`: so
 * does every PUT of a whole file from that one on (1 for the first).
 */
async function cli(
  argv: string[],
  failPartsFrom = Infinity,
  failFilesFrom = Infinity,
): Promise<{ code: number; stdout: string; stderr: string; partsPut: number[]; filesPut: number }> {
  const partsPut: number[] = [];
  let filesPut = 0;
  const counting: Fetch = async (input, init) => {
    const partNumber = Number(new URL(String(input)).searchParams.get("partNumber"));
    if (init?.method === "PUT" && partNumber) {
      if (partNumber >= failPartsFrom) throw new TypeError("fetch failed");
      partsPut.push(partNumber);
    } else if (init?.method === "PUT") {
      if (filesPut + 1 >= failFilesFrom) throw new TypeError("fetch failed");
      filesPut += 1;
    }
    return fetch(input, init);
  };
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false, env, now: Date.now };
  const code = await main(argv, io, counting);
  return { code, stdout, stderr, partsPut, filesPut };
}

/** Polls a journal, with a deadline, until `reached` says it records enough. */
async function journalReaching<E extends object>(
  path: string,
  read: (path: string) => Promise<E | { unreadable: string } | undefined>,
  reached: (entry: E) => boolean,
): Promise<E> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const journal = await read(path);
    if (journal && !("unreadable" in journal) && reached(journal)) return journal;
    if (Date.now() > deadline) throw new Error(`The journal ${path} did not get there within 60 s: ${JSON.stringify(journal)}`);
    await delay(20);
  }
}

/** Polls a file push's journal until it records at least `parts` parts. */
const journalWith = (path: string, parts: number): Promise<JournalEntry> =>
  journalReaching(path, UploadJournal.read, (journal) => journal.parts.length >= parts);

const partNumbers = (journal: JournalEntry) => journal.parts.map((p) => p.partNumber).sort((a, b) => a - b);

describe("registry push, interrupted and run again", () => {
  it("after kill -9, uploads only the parts not yet done, and completes the same version", async () => {
    const model = uniqueModelName("fraud_detector");
    const file = await modelFile("killed.bin");
    const child = spawn(process.execPath, [join(repoRoot, "client/registry.mjs"), ...pushArgs(file.path, model)], { env, stdio: "ignore" });
    const exited = new Promise((resolveExit) => child.once("exit", resolveExit));

    await journalWith(journalOf(file.path, model), 3);
    child.kill("SIGKILL");
    await exited;
    const left = await journalWith(journalOf(file.path, model), 3);
    const rerun = await cli(pushArgs(file.path, model));

    expect(left.parts.length).toBeLessThan(PARTS);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(rerun.stderr).toContain(
      `Resuming the push of ${file.path} to version ${left.version} of ${model}: ${left.parts.length} of ${PARTS} part(s) already uploaded.`,
    );
    const expectedPuts = Array.from({ length: PARTS }, (_, i) => i + 1).filter((n) => !partNumbers(left).includes(n));
    expect(rerun.partsPut.sort((a, b) => a - b)).toEqual(expectedPuts);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      uploaded: true,
      partsUploaded: expectedPuts.length,
      resumedParts: left.parts.length,
      version: { model, version: left.version, status: "READY", artifact: { sha256: file.sha256, partCount: PARTS } },
    });
    expect(JSON.parse((await cli(["versions", "list", model, "--json"])).stdout).items).toHaveLength(1);
    await expect(stat(journalOf(file.path, model))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("after a network loss keeps the journal, and discards it, saying so, once the file has changed", async () => {
    const model = uniqueModelName("churn_predictor");
    const file = await modelFile("cut-off.bin");

    const cutOff = await cli(pushArgs(file.path, model), 5);
    const left = await journalWith(journalOf(file.path, model), 4);
    const later = new Date(Date.now() + 60_000);
    await utimes(file.path, later, later);
    const rerun = await cli(pushArgs(file.path, model));

    expect(cutOff.code).toBe(EXIT.unavailable);
    expect(partNumbers(left)).toEqual([1, 2, 3, 4]);
    expect(rerun.stderr).toContain("Discarding the resume journal of an earlier push");
    expect(rerun.stderr).toContain("the file was modified since. Starting over.");
    expect(rerun.partsPut.sort((a, b) => a - b)).toEqual(Array.from({ length: PARTS }, (_, i) => i + 1));
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      uploaded: true,
      partsUploaded: PARTS,
      resumedParts: 0,
      version: { status: "READY", artifact: { sha256: file.sha256 } },
    });
  }, 120_000);
});

describe("registry push, resumed after its multipart upload was replaced", () => {
  it("starts the upload again once, and completes the same version, instead of failing on the parts S3 no longer holds", async () => {
    const model = uniqueModelName("fraud_detector");
    const file = await modelFile("replaced.bin");
    await cli(pushArgs(file.path, model), 3);
    const left = await journalWith(journalOf(file.path, model), 2);
    // What S3's lifecycle rule does to an upload left incomplete for days, or another push's restart.
    const client = createRegistryClient({ url: registry.url, auth: { type: "none" } });
    await client.restartUpload({ name: model, v: left.version as number });

    const rerun = await cli(pushArgs(file.path, model));

    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      version: { model, version: left.version, status: "READY", artifact: { sha256: file.sha256 } },
    });
    await expect(stat(journalOf(file.path, model))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("starts the upload again once when S3 answers a part with NoSuchUpload (its lifecycle rule aborted the upload)", async () => {
    const model = uniqueModelName("fraud_detector");
    const file = await modelFile("aborted.bin");
    await cli(pushArgs(file.path, model), 3);
    const left = await journalWith(journalOf(file.path, model), 2);
    let aborted: string | null = null;
    const lifecycleAborted: Fetch = async (input, init) => {
      const uploadId = new URL(String(input)).searchParams.get("uploadId");
      aborted ??= uploadId;
      if (init?.method === "PUT" && uploadId !== null && uploadId === aborted)
        return new Response("<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>", {
          status: 404,
        });
      return fetch(input, init);
    };
    let stdout = "";
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => {}, interactive: false, env, now: Date.now };

    const code = await main(pushArgs(file.path, model), io, lifecycleAborted);

    expect(code).toBe(EXIT.ok);
    expect(aborted).not.toBeNull();
    expect(JSON.parse(stdout)).toMatchObject({ version: { model, version: left.version, status: "READY" } });
  }, 120_000);
});

describe("registry push <dir>, interrupted and run again", () => {
  /** Weights in parts (10 of 8 MiB, the registry's plan for 80 MiB), a config and a vocabulary in one PUT each. */
  const WEIGHT_PARTS = 10;
  const smallFiles = { "config.json": '{"vocab_size": 30522}', "tokenizer/vocab.txt": "[PAD]\n[UNK]\n" };

  async function modelDirectory(name: string): Promise<string> {
    const root = join(dir, name);
    await mkdir(join(root, "tokenizer"), { recursive: true });
    await writeFile(join(root, "model.safetensors"), randomBytes(WEIGHT_PARTS * 8 * MiB));
    for (const [path, text] of Object.entries(smallFiles)) await writeFile(join(root, path), text);
    return root;
  }

  const dirArgs = (root: string, model: string) => ["push", root, "--model", model, "--concurrency", "1", "--json"];
  const weightsOf = (journal: DirectoryJournalEntry) => journal.uploads.find((upload) => upload.path === "model.safetensors");
  const weightParts = (journal: DirectoryJournalEntry) => (weightsOf(journal)?.parts ?? []).map((p) => p.partNumber).sort((a, b) => a - b);
  const smallBytes = Object.values(smallFiles).reduce((sum, text) => sum + Buffer.byteLength(text), 0);

  it("after kill -9, sends only the weights' parts not yet done, and completes the same version", async () => {
    const model = uniqueModelName("fraud_ensemble");
    const root = await modelDirectory("killed_model");
    const journal = journalOf(root, model);
    const child = spawn(process.execPath, [join(repoRoot, "client/registry.mjs"), ...dirArgs(root, model)], { env, stdio: "ignore" });
    const exited = new Promise((resolveExit) => child.once("exit", resolveExit));

    await journalReaching(journal, DirectoryJournal.read, (entry) => weightParts(entry).length >= 3);
    child.kill("SIGKILL");
    await exited;
    const left = await journalReaching(journal, DirectoryJournal.read, (entry) => weightParts(entry).length >= 3);
    const rerun = await cli(dirArgs(root, model));

    const done = weightParts(left);
    expect(done.length).toBeLessThan(WEIGHT_PARTS);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(rerun.stderr).toContain(`Resuming the push of ${root} to version ${left.version} of ${model}: 2 of 3 file(s) already uploaded.`);
    // The files in one PUT went first and are not sent again; of the weights, only the parts missing.
    expect(rerun.filesPut).toBe(0);
    expect(rerun.partsPut.sort((a, b) => a - b)).toEqual(
      Array.from({ length: WEIGHT_PARTS }, (_, i) => i + 1).filter((n) => !done.includes(n)),
    );
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      filesUploaded: ["model.safetensors"],
      bytesUploaded: (WEIGHT_PARTS - done.length) * 8 * MiB,
      bytesResumed: smallBytes + done.length * 8 * MiB,
      version: { model, version: left.version, status: "READY", files: { count: 3 } },
    });
    expect(JSON.parse((await cli(["versions", "list", model, "--json"])).stdout).items).toHaveLength(1);
    await expect(stat(journal)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("discards the journal, saying which file changed, and pushes a fresh version", async () => {
    const model = uniqueModelName("churn_ensemble");
    const root = await modelDirectory("changed_model");

    const cutOff = await cli(dirArgs(root, model), 3);
    const left = await journalReaching(journalOf(root, model), DirectoryJournal.read, (entry) => weightParts(entry).length === 2);
    await writeFile(join(root, "config.json"), '{"vocab_size": 50000}');
    const rerun = await cli(dirArgs(root, model));

    expect(cutOff.code).toBe(EXIT.unavailable);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(rerun.stderr).toContain(`Discarding the resume journal of an earlier push of ${root}`);
    expect(rerun.stderr).toContain("'config.json' was modified since. Starting over.");
    expect(rerun.partsPut.sort((a, b) => a - b)).toEqual(Array.from({ length: WEIGHT_PARTS }, (_, i) => i + 1));
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      bytesResumed: 0,
      version: { model, version: (left.version as number) + 1, status: "READY", files: { count: 3 } },
    });
  }, 120_000);

  it("starts the upload again once, and completes the same version, when the weights' multipart upload was replaced", async () => {
    const model = uniqueModelName("fraud_ensemble");
    const root = await modelDirectory("replaced_model");
    await cli(dirArgs(root, model), 3);
    const left = await journalReaching(journalOf(root, model), DirectoryJournal.read, (entry) => weightParts(entry).length === 2);
    const client = createRegistryClient({ url: registry.url, auth: { type: "none" } });
    await client.restartUpload({ name: model, v: left.version as number });

    const rerun = await cli(dirArgs(root, model));

    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ version: { model, version: left.version, status: "READY", files: { count: 3 } } });
    await expect(stat(journalOf(root, model))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("asks fresh URLs for the files in one PUT not yet sent, and sends only those", async () => {
    const model = uniqueModelName("fraud_ensemble");
    const root = join(dir, "small_model");
    await mkdir(root);
    for (const name of ["a.bin", "b.bin", "c.bin"]) await writeFile(join(root, name), randomBytes(100_000));

    const cutOff = await cli(dirArgs(root, model), Infinity, 2);
    const left = await journalReaching(journalOf(root, model), DirectoryJournal.read, (entry) => entry.version !== undefined);
    const rerun = await cli(dirArgs(root, model));

    expect(cutOff.code).toBe(EXIT.unavailable);
    expect(left.uploads.map((upload) => upload.done)).toEqual([true, false, false]);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(rerun.stderr).toContain(`to version ${left.version} of ${model}: 1 of 3 file(s) already uploaded.`);
    expect(rerun.filesPut).toBe(2);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      filesUploaded: ["b.bin", "c.bin"],
      bytesResumed: 100_000,
      version: { version: left.version, status: "READY", files: { count: 3 } },
    });
  }, 120_000);

  it("registers a new version, saying so, when the interrupted push's version was deleted meanwhile", async () => {
    const model = uniqueModelName("churn_ensemble");
    const root = await modelDirectory("deleted_model");

    await cli(dirArgs(root, model), 2);
    const left = await journalReaching(journalOf(root, model), DirectoryJournal.read, (entry) => weightParts(entry).length === 1);
    const deleted = await cli(["versions", "delete", model, String(left.version)]);
    const rerun = await cli(dirArgs(root, model));

    expect(deleted.code, deleted.stderr).toBe(EXIT.ok);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    expect(rerun.stderr).toContain(
      `Version ${left.version} of ${model}, which an earlier push of ${root} started, is gone: registering a new version.`,
    );
    expect(JSON.parse(rerun.stdout)).toMatchObject({ version: { version: (left.version as number) + 1, status: "READY" } });
  }, 120_000);
});
