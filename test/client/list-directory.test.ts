import { describe, expect, it } from "vitest";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listDirectory } from "../../client/push-directory";
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
});
