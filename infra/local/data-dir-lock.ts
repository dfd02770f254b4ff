import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

/**
 * One registry per data directory: two would run two DynamoDB Locals on one database file, two
 * s3rvers on one folder and two stream tailers announcing every change twice. `registry.pid` in
 * the directory names the process whose registry uses it; a process that is gone (killed with
 * SIGKILL) leaves it free.
 */
export class DataDirInUseError extends Error {}

const LOCK_FILE = "registry.pid";

/** Takes `dataDir` for this process; resolves with the function that gives it back. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lock = resolve(dataDir, LOCK_FILE);
  await mkdir(dataDir, { recursive: true });
  if (!(await claim(lock))) {
    const holder = await holderOf(lock);
    if (holder !== undefined && isRunning(holder)) throw inUse(dataDir, lock, holder);
    // Left by a registry that is gone: free. A start that claims it between the removal and our claim wins;
    // two starts removing the same stale lock at the same instant could both go on, a race this laptop tool accepts.
    await rm(lock, { force: true });
    if (!(await claim(lock))) throw inUse(dataDir, lock, (await holderOf(lock)) ?? 0);
  }
  return async () => {
    if ((await holderOf(lock)) === process.pid) await rm(lock, { force: true });
  };
}

/** Creates the lock file with this process's pid, unless it exists. */
async function claim(lock: string): Promise<boolean> {
  try {
    await writeFile(lock, `${process.pid}\n`, { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

async function holderOf(lock: string): Promise<number | undefined> {
  const text = await readFile(lock, "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Signal 0 checks that a process exists without touching it; EPERM: it exists, another user's. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const inUse = (dataDir: string, lock: string, pid: number) =>
  new DataDirInUseError(
    `${dataDir} is the data of another local registry (pid ${pid}): stop it, or give this one its own with ` +
      `REGISTRY_DATA_DIR=<another folder> PORT=<another port> npm start. (No registry running there? Remove ${lock}.)`,
  );
