import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { isRunning } from "./data-dir-lock";
import { exists, type LoopbackLaunch } from "./dynamodb-loopback";

/**
 * Class data sharing for DynamoDB Local's JVM (Java's dynamic CDS archives, JDK 13 and later).
 * The first JVM of a packed jar (./dynamodb-loopback.ts) writes the classes it loaded to an
 * archive when it exits; every later one maps them from it instead of loading and verifying them
 * from the jars again: `npm start` answered in 2.9–3.2 s instead of 3.8–4.8 on the 2-core machine.
 * An archive is written under a name of its own and put in place only once its JVM has answered
 * and exited as told (SIGTERM), and a JVM required to map it (`-Xshare:on`) started from it: a
 * truncated archive makes the JVM that maps it abort. Its name keys the Java that wrote it and the jars it was built
 * from (a Java or jar changed since starts without sharing and writes a new one); a JVM that
 * cannot use one anyway loads its classes as without it (Java's default, `-Xshare:auto`).
 */

/** How the JVM ended: its exit code, and whether it had answered (one stopped before it served holds few classes). */
export interface JvmEnd {
  readonly exitCode: number | null;
  readonly answered: boolean;
}

/** The JVM options for sharing, and what to do once the JVM has ended. */
export interface ClassSharing {
  readonly args: readonly string[];
  settle(end: JvmEnd): Promise<void>;
}

/**
 * A JVM's exit code after SIGTERM: 128 + 15, once its shutdown hooks and the archive's writing are
 * done (or killed by the signal before Java handled it, which writes no archive).
 */
const EXITED_AS_TOLD = 143;

/** The class archive of `directory`'s packed `classPath` for the Java whose `java -version` printed `javaVersion`. */
export async function classSharing(
  { directory, classPath }: Required<Pick<LoopbackLaunch, "directory" | "classPath">>,
  javaVersion: string,
): Promise<ClassSharing> {
  const name = `dynamodb-local-${await archiveKey(classPath, javaVersion)}.jsa`;
  const archive = join(directory, name);
  await removeAbandoned(directory);
  if (await exists(archive)) return { args: [`-XX:SharedArchiveFile=${archive}`], settle: async () => undefined };
  const writing = `${archive}.${process.pid}.${randomUUID()}`;
  return {
    args: [`-XX:ArchiveClassesAtExit=${writing}`],
    async settle({ exitCode, answered }) {
      const written = answered && exitCode === EXITED_AS_TOLD && (await exists(writing)) && (await mapsWhole(writing, classPath));
      if (written) {
        await rename(writing, archive);
        await removeOtherArchives(directory, name);
      }
      await rm(writing, { force: true });
    },
  };
}

/**
 * The archives of another Java or of jars since changed (each `npm ci` gives the jars new times),
 * which no start uses again: about 36 MB each. A JVM that maps one keeps its mapping.
 */
async function removeOtherArchives(directory: string, kept: string): Promise<void> {
  const others = (await readdir(directory)).filter((entry) => entry.endsWith(".jsa") && entry !== kept);
  await Promise.all(others.map((entry) => rm(join(directory, entry), { force: true })));
}

/** Names the Java and every jar of the class path as they are now: their paths, sizes and modification times. */
async function archiveKey(classPath: readonly string[], javaVersion: string): Promise<string> {
  const hash = createHash("sha256").update(javaVersion);
  for (const [jar, { size, mtimeMs }] of await Promise.all(classPath.map(async (jar) => [jar, await stat(jar)] as const)))
    hash.update(`\0${jar}\0${size}\0${mtimeMs}`);
  return hash.digest("hex").slice(0, 16);
}

/** Whether a JVM that must map `archive` starts (`-version` loads no class of the path, but maps the whole archive and checks the path). */
async function mapsWhole(archive: string, classPath: readonly string[]): Promise<boolean> {
  const crashReport = `${archive}.crash`;
  try {
    const check = [
      "-Xshare:on",
      `-XX:SharedArchiveFile=${archive}`,
      `-XX:ErrorFile=${crashReport}`,
      "-cp",
      classPath.join(":"),
      "-version",
    ];
    await promisify(execFile)("java", check, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  } finally {
    await rm(crashReport, { force: true });
  }
}

/** Archives being written by processes that are gone. */
async function removeAbandoned(directory: string): Promise<void> {
  const entries = await readdir(directory);
  const abandoned = entries.filter((entry) => {
    const pid = /\.jsa\.(\d+)\./.exec(entry)?.[1];
    return pid !== undefined && !isRunning(Number(pid));
  });
  await Promise.all(abandoned.map((entry) => rm(join(directory, entry), { force: true })));
}
