import { createHash, randomBytes } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import { artifactObjectKey } from "../../shared/domain/artifacts";
import { createS3Client } from "../../shared/s3-client";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import type { TestRegistry } from "./registry";
import type { ArtifactBucket } from "../../shared/store/artifact-bucket";
import type { ArtifactReads } from "../../shared/store/artifact-reads";
import type { VerificationTask } from "../../shared/schemas/verification-task";
import type { VersionSelector, VersionView } from "../../shared/schemas/version";
import type { VerificationQueue } from "../../shared/store/verification-queue";
import type { Actor } from "../../shared/use-cases/deps";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { getVersion } from "../../shared/use-cases/get-version";
import { verifyFile, type TaskOutcome, type VerifierDeps } from "../../shared/use-cases/verify-file";

/** A verification queue the test drains itself: tasks wait in order until `runQueued` hands them to the verifier. */
export interface TaskQueue extends VerificationQueue {
  readonly waiting: VerificationTask[];
  /** Tasks a `runQueued` call has taken and is running, each keyed by a promise that settles when its run ends. */
  readonly running: Map<Promise<void>, VerificationTask>;
}

export function taskQueue(): TaskQueue {
  const waiting: VerificationTask[] = [];
  return { waiting, running: new Map(), send: async (tasks) => void waiting.push(...tasks) };
}

/** A version whose verification a caller waits for. */
interface AwaitedVersion {
  readonly model: string;
  readonly version: number;
}

/**
 * Runs every waiting task, and the follow-ups they send, through the verifier until none waits; the
 * outcomes of the tasks this call ran, in order. With `awaited`, it also waits for that version's
 * tasks another call is running: two concurrent completions share the queue, and the other's call
 * may have taken this one's task. (Only that version's: a run may itself complete another version.)
 */
export async function runQueued(
  deps: VerifierDeps,
  queue: TaskQueue = deps.verifications as TaskQueue,
  awaited?: AwaitedVersion,
): Promise<TaskOutcome[]> {
  const outcomes: TaskOutcome[] = [];
  for (;;) {
    const task = queue.waiting.shift();
    const elsewhere = awaited && runsOf(queue, awaited);
    if (task) outcomes.push(await tracked(queue, task, verifyFile(deps, task)));
    else if (elsewhere?.length) await Promise.race(elsewhere);
    else return outcomes;
  }
}

const runsOf = (queue: TaskQueue, { model, version }: AwaitedVersion): Promise<void>[] =>
  [...queue.running].filter(([, task]) => task.model === model && task.version === version).map(([ended]) => ended);

/** `run` of `task`, listed in the queue's running tasks until it settles. */
async function tracked<T>(queue: TaskQueue, task: VerificationTask, run: Promise<T>): Promise<T> {
  const ended = run.then(
    () => undefined,
    () => undefined,
  );
  queue.running.set(ended, task);
  try {
    return await run;
  } finally {
    queue.running.delete(ended);
  }
}

/** What a client does: complete, then wait for the verification to settle (here: run it), and read the version. */
export async function completeAndVerify(deps: VerifierDeps, name: string, selector: VersionSelector, who: Actor): Promise<VersionView> {
  const completed = await completeUpload(deps, name, selector, undefined, who);
  if (completed.status !== "VERIFYING") return completed;
  await runQueued(deps, deps.verifications as TaskQueue, { model: name, version: completed.version });
  return getVersion(deps, name, { number: completed.version });
}

/** A version whose bytes failed verification: other bytes stored under its key without the URL (which would refuse them), then completed. */
export async function registerFailedVersion(registry: TestRegistry, name: string, who: Actor): Promise<VersionView> {
  const declared = randomBytes(2048);
  const sha256 = createHash("sha256").update(declared).digest("hex");
  const body = registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: declared.length, sha256 } });
  const registered = await registerVersion(registry.deps, name, body, who);
  await storeAt(registry, sha256, randomBytes(2048));
  const failed = await completeAndVerify(registry.deps, name, { number: registered.version }, who);
  expect(failed.status).toBe("FAILED");
  return failed;
}

/** Stores `bytes` under `sha256`'s content address without a URL (which would refuse bytes of another digest). */
export async function storeAt(registry: TestRegistry, sha256: string, bytes: Buffer): Promise<void> {
  const s3 = createS3Client(registry.config);
  try {
    await s3.send(new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(sha256), Body: bytes }));
  } finally {
    s3.destroy();
  }
}

/** What the bucket holds under `key`, hashed whole (test objects are small), or undefined when nothing is there. */
export async function storedDigest(
  bucket: { artifacts: ArtifactBucket; artifactReads: ArtifactReads },
  key: string,
): Promise<{ sha256: string; sizeBytes: number } | undefined> {
  const stored = await bucket.artifacts.head(key);
  if (!stored) return undefined;
  const bytes = stored.sizeBytes === 0 ? new Uint8Array() : Buffer.concat(await bucket.artifactReads.readRange(key, 0, stored.sizeBytes));
  return { sha256: createHash("sha256").update(bytes).digest("hex"), sizeBytes: bytes.length };
}
