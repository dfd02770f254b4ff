import type { LocalRegistry } from "../infra/local/start";
import { freshFiles } from "./register";
import { timed } from "./stats";
import { inParallel, put, send } from "./upload";

export interface CompleteManyFigure {
  readonly files: number;
  /** How long `…/artifact/complete` took to answer (202 VERIFYING) for a version of `files` files, all uploaded. */
  readonly completeAnswerMs: number;
}

type PlanEntry = { path: string; upload: { url: string; headers: Record<string, string> } | null };

/** Upload plan pages asked for at once, and PUTs in flight: a training cluster's pace, not the registry's. */
const IN_FLIGHT = 16;

/**
 * `complete` for a version of many files (docs/artifacts.md promises an answer within a second for
 * any size): a version of `files` small files, each with bytes of its own, registered and uploaded
 * through the local registry, then completed, timed to its answer. The verification it starts is
 * awaited, untimed, so the figures after it run on a quiet queue. 1,000 by default, to keep the
 * run short: `complete`'s HEADs, and the uploads before it, grow with the files.
 */
export async function benchCompleteManyFiles(registry: LocalRegistry, options: { files?: number } = {}): Promise<CompleteManyFigure> {
  const { files = 1_000 } = options;
  const { bytes, manifest } = freshFiles(files);
  const registered = await send<{ version: number; uploads: PlanEntry[]; nextUploadsCursor?: string }>(
    `${registry.url}/models/bench_many_files/versions`,
    "POST",
    { files: manifest },
  );
  const version = `${registry.url}/models/bench_many_files/versions/${registered.version}`;
  const plan = [...registered.uploads];
  for (let cursor = registered.nextUploadsCursor; cursor !== undefined; ) {
    const page = await send<{ uploads: PlanEntry[]; nextCursor?: string }>(
      `${version}/artifact/uploads?limit=100&cursor=${encodeURIComponent(cursor)}`,
      "GET",
    );
    plan.push(...page.uploads);
    cursor = page.nextCursor;
  }
  await inParallel(
    plan.map(
      ({ upload }, i) =>
        () =>
          upload ? put(upload.url, bytes[i] as Buffer, upload.headers) : Promise.resolve(""),
    ),
    IN_FLIGHT,
  );
  let status = "";
  const completeAnswerMs = await timed(async () => {
    ({ status } = await send<{ status: string }>(`${version}/artifact/complete`, "POST"));
  });
  if (status !== "VERIFYING") throw new Error(`completing answered ${status}, not VERIFYING`);
  await registry.verifications.idle();
  return { files, completeAnswerMs };
}
