import { createHash } from "node:crypto";
import type { LocalRegistry } from "../infra/local/start";
import { timed } from "./stats";

/** Files of bytes of their own (a fresh seed each call: none the registry holds yet), and their manifest. */
export function freshFiles(files: number): { bytes: Buffer[]; manifest: { path: string; sizeBytes: number; sha256: string }[] } {
  const seed = `${Date.now()} ${Math.random()}`;
  const bytes = Array.from({ length: files }, (_, i) => Buffer.from(`${seed} file ${i}\n`));
  const manifest = bytes.map((content, i) => ({
    path: `shards/part-${String(i).padStart(5, "0")}.bin`,
    sizeBytes: content.length,
    sha256: createHash("sha256").update(content).digest("hex"),
  }));
  return { bytes, manifest };
}

export interface RegisterManyFigure {
  readonly files: number;
  /** How long `POST …/versions` with `files` took to answer through the local API, and its status (201: registered). */
  readonly registerMs: number;
  readonly status: number;
}

/**
 * Registering a version of the most files a version holds (docs/artifacts.md: 10,000), each with
 * bytes of its own, through the local API: one request, timed to its answer, which must come within
 * API Gateway's 30 s. A refusal is a figure too (its status), not a failed run.
 */
export async function benchRegisterManyFiles(registry: LocalRegistry, options: { files?: number } = {}): Promise<RegisterManyFigure> {
  const { files = 10_000 } = options;
  const body = JSON.stringify({ files: freshFiles(files).manifest });
  let status = 0;
  const registerMs = await timed(async () => {
    const response = await fetch(`${registry.url}/models/bench_register_many/versions`, { method: "POST", body });
    status = response.status;
    await response.arrayBuffer();
  });
  return { files, registerMs, status };
}
