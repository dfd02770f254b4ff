import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { UsageError } from "../../client/errors";
import { listDirectory, pushDirectory } from "../../client/push-directory";
import { createRegistryClient } from "../../client/sdk";
import { useTempFiles } from "../support/temp-files";

/** The walk of a directory `registry push <dir>` declares: what it skips, it says why. */

const scratch = useTempFiles("registry-list-directory-");

describe("listDirectory", () => {
  it("skips a link to nothing (its target missing, or a loop), saying so, not that it points out of the directory", async () => {
    const root = join(scratch.dir(), "model");
    await mkdir(root);
    await writeFile(join(root, "weights.bin"), "weights");
    await symlink("tokenizer.json", join(root, "tokenizer-link.json"));
    await symlink("loop-b", join(root, "loop-a"));
    await symlink("loop-a", join(root, "loop-b"));
    const notices: string[] = [];

    const files = await listDirectory(root, (notice) => notices.push(notice));

    expect(files.map((file) => file.path)).toEqual(["weights.bin"]);
    expect(notices.sort()).toEqual([
      "Skipping loop-a: a link to nothing (its target is missing, or a loop of links).",
      "Skipping loop-b: a link to nothing (its target is missing, or a loop of links).",
      "Skipping tokenizer-link.json: a link to nothing (its target is missing, or a loop of links).",
    ]);
  });

  it("refuses a named pipe and a socket in the directory, naming each, before any request", async () => {
    const root = join(scratch.dir(), "model-with-special-files");
    await mkdir(join(root, "logs"), { recursive: true });
    await writeFile(join(root, "weights.bin"), "weights");
    execFileSync("mkfifo", [join(root, "logs", "train.pipe")]);
    const socket = createServer().listen(join(root, "trainer.sock"));
    await new Promise((listening) => socket.once("listening", listening));
    await symlink("trainer.sock", join(root, "trainer-link.sock"));
    let requests = 0;
    const client = createRegistryClient({
      url: "http://registry.invalid",
      auth: { type: "none" },
      fetch: async () => new Response(String(requests++)),
    });

    try {
      const pushing = pushDirectory(client, {
        directory: root,
        model: "fraud_detector",
        journalDirectory: join(scratch.dir(), "journals"),
      });

      await expect(pushing).rejects.toBeInstanceOf(UsageError);
      await expect(pushing).rejects.toThrow(
        `${root} holds entries that are no files, whose bytes a version cannot hold; remove them or move them out of it:\n` +
          "  'logs/train.pipe': a named pipe (FIFO)\n" +
          "  'trainer-link.sock': a link to a socket\n" +
          "  'trainer.sock': a socket",
      );
      expect(requests).toBe(0);
    } finally {
      await new Promise((closed) => socket.close(closed));
    }
  });
});
