import { describe, expect, it } from "vitest";
import { appendFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MiB } from "../../shared/domain/artifacts";
import { UsageError } from "../../client/errors";
import { pushDirectory } from "../../client/push-directory";
import { createRegistryClient } from "../../client/sdk";
import { push, type PushProgress } from "../../client/upload";
import { useTempFiles } from "../support/temp-files";

/** A push of files still being written (a checkpoint the trainer has not finished): refused before the registry hears of it. */

const scratch = useTempFiles("registry-changing-files-");

/** A registry that counts the requests it gets, and answers none. */
function countingClient(): { client: ReturnType<typeof createRegistryClient>; requests: () => number } {
  let requests = 0;
  const client = createRegistryClient({
    url: "http://registry.invalid",
    auth: { type: "none" },
    fetch: async () => new Response(String(requests++), { status: 500 }),
  });
  return { client, requests: () => requests };
}

/** A progress callback that appends `bytes` to `file` once, at the first bytes hashed. */
function growsWhileHashing(file: string, bytes: number): (progress: PushProgress) => void {
  let grown = false;
  return ({ phase, bytesDone }) => {
    if (phase !== "hashing" || bytesDone === 0 || grown) return;
    grown = true;
    appendFileSync(file, Buffer.alloc(bytes, 7));
  };
}

describe("a push of a file that changes while it is hashed", () => {
  it("refuses a directory whose file grew after it was listed, naming it, before any request", async () => {
    const root = join(scratch.dir(), "checkpoint");
    await mkdir(root);
    await writeFile(join(root, "a-config.json"), Buffer.alloc(3000, 1));
    await writeFile(join(root, "b-weights.bin"), Buffer.alloc(1000, 2));
    const { client, requests } = countingClient();

    const pushing = pushDirectory(client, {
      directory: root,
      model: "fraud_detector",
      journalDirectory: join(scratch.dir(), "journals"),
      onProgress: growsWhileHashing(join(root, "b-weights.bin"), 500),
    });

    await expect(pushing).rejects.toBeInstanceOf(UsageError);
    await expect(pushing).rejects.toThrow(
      `${join(root, "b-weights.bin")} changed while it was read (1000 bytes before, 1500 now; modified `,
    );
    expect(requests()).toBe(0);
  });

  it("reads no more than the listed bytes of an empty file that grew before it was hashed, then refuses it", async () => {
    const root = join(scratch.dir(), "checkpoint-with-new-shard");
    await mkdir(root);
    await writeFile(join(root, "a-config.json"), Buffer.alloc(3000, 1));
    await writeFile(join(root, "b-shard.bin"), Buffer.alloc(0));
    const { client, requests } = countingClient();
    const grow = growsWhileHashing(join(root, "b-shard.bin"), MiB);
    let mostHashed = 0;

    const pushing = pushDirectory(client, {
      directory: root,
      model: "fraud_detector",
      journalDirectory: join(scratch.dir(), "journals"),
      onProgress: (progress) => {
        grow(progress);
        if (progress.phase === "hashing") mostHashed = Math.max(mostHashed, progress.bytesDone);
      },
    });

    await expect(pushing).rejects.toThrow(`${join(root, "b-shard.bin")} changed while it was read (0 bytes before, ${MiB} now;`);
    expect(mostHashed).toBe(3000);
    expect(requests()).toBe(0);
  });

  it("refuses a file that grew while it was hashed, before any request", async () => {
    const file = join(scratch.dir(), "model.bin");
    await writeFile(file, Buffer.alloc(3 * MiB, 1));
    const { client, requests } = countingClient();

    const pushing = push(client, {
      file,
      model: "fraud_detector",
      journalDirectory: join(scratch.dir(), "journals"),
      onProgress: growsWhileHashing(file, MiB),
    });

    await expect(pushing).rejects.toThrow(`${file} changed while it was read (${3 * MiB} bytes before, ${4 * MiB} now;`);
    expect(requests()).toBe(0);
  });
});
