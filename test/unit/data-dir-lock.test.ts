import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DataDirInUseError, lockDataDir } from "../../infra/local/data-dir-lock";
import { useTempFiles } from "../support/temp-files";

const scratch = useTempFiles("registry-data-dir-lock-");

/** The pid of a process that has come and gone: what a registry killed with SIGKILL leaves in its lock. */
async function pidOfAGoneProcess(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid as number;
}

describe("the data directory's lock", () => {
  it("refuses a second registry on a data directory in use, naming the holder and what to do, until the first gives it back", async () => {
    const dataDir = join(scratch.dir(), "shared");
    const release = await lockDataDir(dataDir);

    const second = await lockDataDir(dataDir).catch((error: unknown) => error);

    expect(second).toBeInstanceOf(DataDirInUseError);
    expect((second as Error).message).toContain(`${dataDir} is the data of another local registry (pid ${process.pid})`);
    expect((second as Error).message).toContain("REGISTRY_DATA_DIR=<another folder> PORT=<another port> npm start");
    await release();
    const third = await lockDataDir(dataDir);
    await third();
  });

  it("takes over the lock of a registry that is gone", async () => {
    const dataDir = join(scratch.dir(), "crashed");
    const release = await lockDataDir(dataDir);
    await release();
    await writeFile(join(dataDir, "registry.pid"), `${await pidOfAGoneProcess()}\n`);

    const taken = await lockDataDir(dataDir);

    expect(await readFile(join(dataDir, "registry.pid"), "utf8")).toBe(`${process.pid}\n`);
    await taken();
  });
});
