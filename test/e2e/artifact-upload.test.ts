import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { putBytes, sha256 } from "../support/fixtures";
import { useLocalRegistry } from "../support/local-registry";
import { waitFor } from "../support/webhook";
import { rawRequest } from "../support/raw-http";

/**
 * A training cluster's view of `npm start`'s registry: plain fetch, JSON in and out, bytes
 * straight to the presigned URLs (s3rver), never through the API.
 */

interface PresignedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
}
interface Upload {
  readonly method: "PUT" | "MULTIPART";
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly uploadId: string;
  readonly partSizeBytes: number;
  readonly partCount: number;
  readonly parts: (PresignedRequest & { partNumber: number })[];
}

const MiB = 1024 * 1024;
const README_URL = "http://127.0.0.1:3000";

/** The shell blocks of docs/artifacts.md: one session, run in order in one shell. */
async function artifactsWalkthrough(): Promise<string[]> {
  const section = await readFile("docs/artifacts.md", "utf8");
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
}

const registry = useLocalRegistry("registry-uploads-");

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${registry.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** What a client does after completing: poll the version until the registry's verification settles it. */
async function settled(path: string): Promise<{ status: string }> {
  return waitFor(
    async () => (await api<{ status: string }>("GET", path)).body,
    (version) => version.status !== "VERIFYING",
    30_000,
  );
}

async function download(path: string): Promise<Buffer> {
  const { body } = await api<{ url: string }>("GET", `${path}/artifact`);
  return Buffer.from(await (await fetch(body.url)).arrayBuffer());
}

describe("a training cluster uploading through the local registry", () => {
  it("registers, PUTs the bytes to the presigned URL, completes, and downloads the same bytes", async () => {
    const bytes = randomBytes(2 * MiB);

    const registered = await api<{ version: number; status: string; upload: Upload }>("POST", "/models/image_classifier/versions", {
      artifact: { filename: "model.onnx", sizeBytes: bytes.length, sha256: sha256(bytes), contentType: "application/octet-stream" },
      metrics: { top1: 0.81 },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ status: "PENDING_UPLOAD", upload: { method: "PUT" } });
    await putBytes(registered.body.upload, bytes);
    const completed = await api<{ status: string }>(
      "POST",
      `/models/image_classifier/versions/${registered.body.version}/artifact/complete`,
    );

    expect(completed).toMatchObject({ status: 202, body: { status: "VERIFYING" } });
    expect(await settled(`/models/image_classifier/versions/${registered.body.version}`)).toMatchObject({ status: "READY" });
    expect(sha256(await download(`/models/image_classifier/versions/${registered.body.version}`))).toBe(sha256(bytes));
  });

  it("hands out a fresh upload URL on a bodiless POST …/artifact/upload after the first one went unused", async () => {
    const bytes = randomBytes(1024);
    const registered = await api<{ version: number; upload: Upload }>("POST", "/models/image_classifier/versions", {
      artifact: { filename: "model.onnx", sizeBytes: bytes.length, sha256: sha256(bytes) },
    });
    const path = `/models/image_classifier/versions/${registered.body.version}`;

    const restarted = await fetch(`${registry.url}${path}/artifact/upload`, { method: "POST" });
    const fresh = (await restarted.json()) as { upload: Upload };
    await putBytes(fresh.upload, bytes);

    expect(restarted.status).toBe(200);
    expect((await api<{ status: string }>("POST", `${path}/artifact/complete`)).body.status).toBe("VERIFYING");
    expect(await settled(path)).toMatchObject({ status: "READY" });
  });

  it("uploads a multipart artifact part by part and completes it with the ETags", async () => {
    const bytes = randomBytes(70 * MiB);
    const partSizeBytes = 32 * MiB;
    const parts = [0, 1, 2].map((i) => bytes.subarray(i * partSizeBytes, (i + 1) * partSizeBytes));

    const registered = await api<{ version: number; upload: Upload }>("POST", "/models/speech_recognizer/versions", {
      artifact: {
        filename: "model.safetensors",
        sizeBytes: bytes.length,
        sha256: sha256(bytes),
        partSizeBytes,
        parts: parts.map((part, i) => ({ partNumber: i + 1, sha256: sha256(part) })),
      },
    });
    expect(registered.body.upload).toMatchObject({ method: "MULTIPART", partSizeBytes, partCount: 3 });
    const etags = await Promise.all(registered.body.upload.parts.map((part) => putBytes(part, parts[part.partNumber - 1]!)));
    const path = `/models/speech_recognizer/versions/${registered.body.version}`;
    const completed = await api<{ status: string }>("POST", `${path}/artifact/complete`, {
      parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    });

    expect(completed).toMatchObject({ status: 202, body: { status: "VERIFYING" } });
    expect(await settled(path)).toMatchObject({ status: "READY" });
    expect(sha256(await download(path))).toBe(sha256(bytes));
  }, 60_000);

  it("runs docs/artifacts.md's walkthrough as written: single PUT, multipart with a fresh URL per part, download, a directory registered twice", async () => {
    const blocks = await artifactsWalkthrough();
    expect(blocks).toHaveLength(5);
    const workDir = await mkdtemp(join(tmpdir(), "registry-walkthrough-"));
    try {
      const script = blocks.join("\n").replaceAll(README_URL, registry.url);
      const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], { cwd: workDir, maxBuffer: 16 * MiB });

      expect(stdout).not.toContain('"error"');
      expect(stdout.match(/"status": "READY"/g)).toHaveLength(4);
      expect(stdout).toContain("downloaded.bin: OK");
      expect(stdout).toContain("downloaded directory: OK");
      // One file by its URL-encoded path: the first version's tokenizer config, 22 bytes.
      expect(stdout).toMatch(/"path": "tokenizer\/config.json",\s*"sizeBytes": 22,/);
      // The directory registered again with one file changed: only that one is asked for.
      expect(stdout).toContain(
        '[{"path":"model.safetensors","upload":false},{"path":"tokenizer/config.json","upload":true},{"path":"tokenizer/vocab.bin","upload":false}]',
      );
      expect(stdout).toMatch(/"files": \{\s*"count": 3,\s*"totalBytes": \d+,\s*"deduplicated": 2\s*\}/);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("answers a file in a directory by its path as it is and URL-encoded; a '..' segment is a 400 naming the rule", async () => {
    const bytes = { "dir/sub/a.bin": randomBytes(300), "b.bin": randomBytes(200) };
    const files = Object.entries(bytes).map(([path, content]) => ({ path, sizeBytes: content.length, sha256: sha256(content) }));
    const registered = await api<{ version: number; uploads: { path: keyof typeof bytes; upload: Upload }[] }>(
      "POST",
      "/models/image_classifier/versions",
      { files },
    );
    for (const { path, upload } of registered.body.uploads) await putBytes(upload, bytes[path]);
    const version = `/models/image_classifier/versions/${registered.body.version}`;
    await api("POST", `${version}/artifact/complete`);
    expect(await settled(version)).toMatchObject({ status: "READY" });

    for (const spelling of ["dir/sub/a.bin", "dir%2Fsub%2Fa.bin"]) {
      const answer = await api<{ path: string; url: string }>("GET", `${version}/artifact/files/${spelling}`);
      expect(answer).toMatchObject({ status: 200, body: { path: "dir/sub/a.bin" } });
      expect(sha256(Buffer.from(await (await fetch(answer.body.url)).arrayBuffer()))).toBe(sha256(bytes["dir/sub/a.bin"]));
    }
    const escaping = await rawRequest(
      Number(new URL(registry.url).port),
      `GET ${version}/artifact/files/dir/../b.bin HTTP/1.1\nHost: 127.0.0.1\nConnection: close`,
    );
    expect(escaping.status).toBe(400);
    expect(JSON.parse(escaping.body)).toMatchObject({
      error: {
        code: "ValidationError",
        message: expect.stringContaining("'dir/../b.bin' is not a file's path: a path has no '..' segments"),
      },
    });
  }, 120_000);

  it("refuses the version's download while its bytes are unverified", async () => {
    const bytes = randomBytes(1000);
    const registered = await api<{ version: number }>("POST", "/models/image_classifier/versions", {
      artifact: { filename: "model.onnx", sizeBytes: bytes.length, sha256: sha256(bytes) },
    });

    const refused = await api<{ error: { code: string } }>("GET", `/models/image_classifier/versions/${registered.body.version}/artifact`);

    expect(refused).toMatchObject({ status: 409, body: { error: { code: "VersionNotReady" } } });
  });
});
