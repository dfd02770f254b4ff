import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** A temporary folder for the calling test file: made before its tests, removed with everything in it after them. */
export function useTempFiles(prefix: string) {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    /** The folder's path, once the tests have started. */
    dir: () => dir,
    /** Writes `content` (as JSON unless it is a string) to a new file in the folder; resolves with the file's path. */
    write: async (content: unknown): Promise<string> => {
      const path = join(dir, `${randomUUID()}.json`);
      await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
      return path;
    },
  };
}
