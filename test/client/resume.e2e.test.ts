import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";
import { MiB } from "../../shared/domain/artifacts";
import { EXIT, main } from "../../client/cli";
import { defaultJournalDirectory, journalPath, UploadJournal, type JournalEntry } from "../../client/journal";
import type { Fetch } from "../../client/sdk";
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

/** The CLI in this process, counting the part numbers it PUTs; `failPartsFrom`: every PUT of that part and later ones loses the network. */
async function cli(
  argv: string[],
  failPartsFrom = Infinity,
): Promise<{ code: number; stdout: string; stderr: string; partsPut: number[] }> {
  const partsPut: number[] = [];
  const counting: Fetch = async (input, init) => {
    const partNumber = Number(new URL(String(input)).searchParams.get("partNumber"));
    if (init?.method === "PUT" && partNumber) {
      if (partNumber >= failPartsFrom) throw new TypeError("fetch failed");
      partsPut.push(partNumber);
    }
    return fetch(input, init);
  };
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false, env, now: Date.now };
  const code = await main(argv, io, counting);
  return { code, stdout, stderr, partsPut };
}

/** Polls the journal, with a deadline, until it records at least `parts` parts. */
async function journalWith(path: string, parts: number): Promise<JournalEntry> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const journal = await UploadJournal.read(path);
    if (journal && !("unreadable" in journal) && journal.parts.length >= parts) return journal;
    if (Date.now() > deadline) throw new Error(`The journal ${path} did not reach ${parts} parts within 60 s: ${JSON.stringify(journal)}`);
    await delay(20);
  }
}

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
