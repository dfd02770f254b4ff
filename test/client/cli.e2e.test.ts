import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Command } from "commander";
import { MiB } from "../../shared/domain/artifacts";
import { buildProgram, EXIT } from "../../client/cli";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { push, type PushProgress } from "../../client/upload";
import { pull } from "../../client/download";
import { IntegrityError } from "../../client/errors";
import { cliRunner } from "../support/cli-runner";
import { useLocalRegistry } from "../support/local-registry";
import { uniqueModelName } from "../support/registry";
import { useTempFiles } from "../support/temp-files";

/**
 * The client against `npm start`'s registry (in this process): the CLI as a user runs it (its
 * `main`, real streams captured), and the SDK where a test must see inside an upload.
 */

const repoRoot = resolve(import.meta.dirname, "../..");
const registry = useLocalRegistry("registry-client-");
/** Files the tests push and pull, and the CLI's resume journals. */
const scratch = useTempFiles("registry-client-files-");

const cli = cliRunner(() => registry.url, scratch.dir);

async function randomFile(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(scratch.dir(), name);
  await writeFile(path, bytes);
  return { path, bytes };
}

describe("registry push and pull", () => {
  it("pushes a multipart file and a small one, pulls both byte for byte, and skips the upload of bytes already stored", async () => {
    const model = uniqueModelName("fraud_detector");
    const large = await randomFile("large.bin", 64 * MiB + 1);
    const small = await randomFile("small.onnx", MiB);

    const pushedLarge = await cli(
      "push",
      large.path,
      "--model",
      model,
      "--part-size",
      "5",
      "--bump",
      "minor",
      "--metric",
      "auc=0.97",
      "--tag",
      "owner=ml-risk",
      "--dataset",
      "fraud_training@v1.2",
      "--json",
    );
    const pushedSmall = await cli("push", small.path, "--model", model, "--json");

    expect(pushedLarge.code).toBe(EXIT.ok);
    const large1 = JSON.parse(pushedLarge.stdout);
    expect(large1).toMatchObject({
      uploaded: true,
      partsUploaded: 13,
      version: {
        model,
        version: 1,
        semver: "0.1.0",
        status: "READY",
        metrics: { auc: 0.97 },
        tags: { owner: "ml-risk" },
        lineage: { datasets: [{ id: "fraud_training", version: "v1.2" }] },
        artifact: { sizeBytes: large.bytes.length, partCount: 13 },
      },
    });
    expect(pushedLarge.stderr).toContain("uploading…");
    expect(JSON.parse(pushedSmall.stdout)).toMatchObject({ uploaded: true, version: { version: 2, status: "READY" } });

    const out = `${join(scratch.dir(), "pulled")}/`;
    const pulledLarge = await cli("pull", `models:/${model}/1`, "-o", out, "--json");
    const pulledSmall = await cli("pull", `models:/${model}@latest`, "-o", out);
    expect(pulledLarge.code).toBe(EXIT.ok);
    expect(JSON.parse(pulledLarge.stdout)).toMatchObject({ model, version: 1, sha256: large1.version.artifact.sha256 });
    expect(pulledSmall.stdout).toContain("(verified)");
    expect((await readFile(join(out, "large.bin"))).equals(large.bytes)).toBe(true);
    expect((await readFile(join(out, "small.onnx"))).equals(small.bytes)).toBe(true);

    const again = await cli("push", large.path, "--model", model, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ uploaded: false, partsUploaded: 0, version: { version: 3, status: "READY" } });
  }, 60_000);

  it("asks for part URLs in batches and replaces a URL S3 refuses (403) with a fresh one", async () => {
    const model = uniqueModelName("churn_predictor");
    const file = await randomFile("batched.bin", 64 * MiB + 1);
    const partUrlRequests: number[][] = [];
    const puts: number[] = [];
    let refusedOnce = false;
    const spy: Fetch = async (input, init) => {
      const url = new URL(String(input));
      if (url.pathname.endsWith("/artifact/parts"))
        partUrlRequests.push(JSON.parse(String(init?.body)).parts.map((p: { partNumber: number }) => p.partNumber));
      const partNumber = Number(url.searchParams.get("partNumber"));
      if (init?.method === "PUT" && partNumber) {
        puts.push(partNumber);
        if (partNumber === 6 && !refusedOnce) {
          refusedOnce = true;
          return new Response("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", { status: 403 });
        }
      }
      return fetch(input, init);
    };
    const client = createRegistryClient({ url: registry.url, auth: { type: "none" }, fetch: spy });
    const progress: PushProgress[] = [];

    const result = await push(client, {
      file: file.path,
      model,
      partSizeBytes: 5 * MiB,
      partUrlsPerRequest: 4,
      concurrency: 3,
      onProgress: (p) => progress.push(p),
      journalDirectory: join(scratch.dir(), "cache"),
    });

    expect(result.version).toMatchObject({ status: "READY", artifact: { partCount: 13 } });
    // Registration answered parts 1-4; the rest came from the parts route, part 6 twice.
    expect(partUrlRequests.flat().sort((a, b) => a - b)).toEqual([5, 6, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(partUrlRequests.every((batch) => batch.length <= 4)).toBe(true);
    expect(puts.filter((n) => n === 6)).toHaveLength(2);
    expect(progress.find((p) => p.phase === "completing")).toMatchObject({ bytesDone: file.bytes.length, partsDone: 13, partsTotal: 13 });
    // Then the registry's verification, polled until READY (s3rver reports no full-object checksum: it always hashes).
    expect(progress.at(-1)).toMatchObject({ phase: "verifying", bytesTotal: file.bytes.length });
  }, 60_000);

  it("never leaves a partial or unverified file under the final name", async () => {
    const model = uniqueModelName("churn_predictor");
    const file = await randomFile("tampered.bin", 3 * MiB);
    await cli("push", file.path, "--model", model, "--quiet");
    const corrupting: Fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!new URL(String(input)).searchParams.has("X-Amz-Signature") || init?.method !== "GET") return response;
      const bytes = Buffer.from(await response.arrayBuffer());
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      return new Response(bytes, { status: response.status, headers: response.headers });
    };
    const out = join(scratch.dir(), "tampered");
    const client = createRegistryClient({ url: registry.url, auth: { type: "none" }, fetch: corrupting });

    await expect(pull(client, { uri: `models:/${model}/1`, output: `${out}/`, chunkBytes: MiB })).rejects.toThrow(IntegrityError);

    expect(await readdir(out)).toEqual([]);
  }, 30_000);
});

describe("registry commands", () => {
  it("promotes, sets an alias and resolves it; --json prints one document", async () => {
    const model = uniqueModelName("fraud_detector");
    expect((await cli("register", model, "--source", "s3://training/run-42/model.tar.gz", "--bump", "patch")).code).toBe(EXIT.ok);

    expect((await cli("promote", model, "1", "--to", "Staging", "--reason", "offline evaluation passed")).stdout).toContain(
      "None → Staging",
    );
    const promoted = await cli("promote", model, "1", "--to", "Production", "--expect-current", "none", "--reason", "canary ok", "--json");
    expect(JSON.parse(promoted.stdout)).toEqual({ version: 1, from: "Staging", to: "Production", archived: [] });
    expect((await cli("alias", "set", model, "champion", "1", "--expect", "none")).code).toBe(EXIT.ok);
    const resolved = await cli("resolve", `models:/${model}@champion`, "--json");
    expect(JSON.parse(resolved.stdout)).toMatchObject({ model, version: 1, stage: "Production" });
    const history = await cli("history", model, "--json");
    expect(JSON.parse(history.stdout).items.map((e: { action: string }) => e.action)).toContain("STAGE_CHANGED");
  });

  it("exits 2 with the API's code on a 4xx, 1 on a usage error", async () => {
    const model = uniqueModelName("fraud_detector");
    await cli("register", model, "--source", "s3://training/run-1/model.tar.gz");

    const conflict = await cli(
      "promote",
      model,
      "1",
      "--to",
      "Production",
      "--expect-current",
      "none",
      "--reason",
      "skip staging",
      "--json",
    );
    expect(conflict.code).toBe(EXIT.refused);
    expect(conflict.stderr).toMatch(/^error: 409 TransitionNotAllowed: /);
    expect(JSON.parse(conflict.stdout).error).toMatchObject({ status: 409, code: "TransitionNotAllowed" });

    const missing = await cli("versions", "show", model, "9");
    expect(missing).toMatchObject({ code: EXIT.refused, stdout: "" });
    expect(missing.stderr).toContain("404 VersionNotFound");

    expect((await cli("promote", model, "1", "--to", "Nowhere", "--reason", "x")).code).toBe(EXIT.usage);
    expect((await cli("push", join(scratch.dir(), "absent.bin"), "--model", model)).code).toBe(EXIT.usage);
  });

  it("runs --help of every command, each with an example", async () => {
    const leaves: string[][] = [];
    const walk = (cmd: Command, path: string[]): void => {
      if (cmd.commands.length === 0) leaves.push(path);
      for (const c of cmd.commands) walk(c, [...path, c.name()]);
    };
    walk(buildProgram({ stdout: () => {}, stderr: () => {}, interactive: false, env: {}, now: Date.now }), []);
    expect(leaves.length).toBeGreaterThanOrEqual(20);
    for (const path of leaves) {
      const help = await cli(...path, "--help");
      expect(help.code, path.join(" ")).toBe(EXIT.ok);
      expect(help.stdout, path.join(" ")).toContain(`Example:\n  $ registry ${path.join(" ")}`);
    }
  });

  it("runs as `npx registry` from the repository", async () => {
    const { stdout } = await promisify(execFile)("npx", ["--no-install", "registry", "--version"], { cwd: repoRoot });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 30_000);
});
