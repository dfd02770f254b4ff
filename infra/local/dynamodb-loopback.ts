import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * DynamoDB Local on 127.0.0.1 only. Its command line has no bind-address option: ServerRunner hands
 * the port to Jetty's `Server(int)`, whose connector listens on every interface. This Java main
 * builds the same server from the same arguments (`ServerRunner.createServerFromCommandLineArgs`),
 * sets its connectors' host to 127.0.0.1, and starts it, as `ServerRunner.main` does with
 * telemetry disabled. It is compiled once per source and jar with the JDK compiler of the
 * machine's Java (the `jdk.compiler` module, which Debian's JRE packages hold as well; no `javac`
 * binary needed), into the user's cache.
 *
 * There it is packed with DynamoDB Local's classes into a jar of their own, run with the jar's
 * libraries named one by one: DynamoDBLocal.jar's manifest puts its own directory on the class
 * path, and Java's class data sharing (CDS) refuses a class path holding a directory. With it, a
 * JVM maps the classes an earlier DynamoDB Local loaded from an archive instead of loading them
 * from the jars again, which takes most of a second off each start (./class-archive.ts).
 */
const MAIN_CLASS = "LoopbackDynamoDbLocal";
const MAIN_SOURCE = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class ${MAIN_CLASS} {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field jetty = DynamoDBProxyServer.class.getDeclaredField("server");
    jetty.setAccessible(true);
    for (Connector connector : ((Server) jetty.get(proxy)).getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
`;

/** Copies DynamoDB Local's jar without its manifest's Class-Path, adding the loopback main; prints the Class-Path's jars. */
const PACKER_CLASS = "PackDynamoDbLocal";
const PACKER_SOURCE = `import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

public final class ${PACKER_CLASS} {
  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    Path main = Path.of(args[2]);
    try (JarFile in = new JarFile(jar.toFile())) {
      Manifest manifest = new Manifest(in.getManifest());
      String classPath = (String) manifest.getMainAttributes().remove(Attributes.Name.CLASS_PATH);
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(Path.of(args[1])), manifest)) {
        for (JarEntry entry : Collections.list(in.entries())) {
          if (entry.getName().equalsIgnoreCase("META-INF/") || entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) continue;
          out.putNextEntry(new JarEntry(entry.getName()));
          try (InputStream bytes = in.getInputStream(entry)) {
            bytes.transferTo(out);
          }
          out.closeEntry();
        }
        out.putNextEntry(new JarEntry(main.getFileName().toString()));
        Files.copy(main, out);
        out.closeEntry();
      }
      for (String entry : classPath == null ? new String[0] : classPath.trim().split("\\\\s+")) {
        if (entry.endsWith(".jar")) System.out.println(jar.resolveSibling(entry));
      }
    }
  }
}
`;

/** The packed jar, beside the compiled classes. */
const PACKED_JAR = "dynamodb-local.jar";
/** The libraries DynamoDBLocal.jar's manifest names, one jar a line (the packer's output). */
const CLASS_PATH_FILE = "class-path.txt";

/** Where the compiled main, the packed classes and their archive are kept: beside the CLI's upload journal (client/journal.ts). */
function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "model-registry", "dynamodb-local");
}

export class LoopbackUnavailableError extends Error {}

/** How Java runs DynamoDB Local through the loopback main, and where its class archive belongs (./class-archive.ts). */
export interface LoopbackLaunch {
  /** `-cp`, the class path, the main class. */
  readonly args: readonly string[];
  /** The jars of the class path, the packed one, then DynamoDB Local's libraries; none when the packing failed (no sharing then). */
  readonly classPath?: readonly string[];
  /** The cache directory of the compiled main and the packed classes, which holds their archive too. */
  readonly directory: string;
}

/**
 * How to run DynamoDB Local's `jar` through the loopback main instead of `-jar`, compiled and
 * packed on first use. Concurrent first starts each build into a directory of their own and
 * rename it into place: the first rename wins, the others use it.
 */
export async function loopbackLaunch(jar: string): Promise<LoopbackLaunch> {
  // The jar's size and time too: the packed copy is what runs, so a jar replaced at the same path is packed again.
  const { size, mtimeMs } = await stat(jar);
  const key = createHash("sha256")
    .update(MAIN_SOURCE)
    .update(PACKER_SOURCE)
    .update(`${jar}\0${size}\0${mtimeMs}`)
    .digest("hex")
    .slice(0, 16);
  const directory = join(cacheDirectory(), key);
  const compiled = join(directory, `${MAIN_CLASS}.class`);
  if (!(await exists(compiled))) {
    await mkdir(cacheDirectory(), { recursive: true });
    const staging = await mkdtemp(`${directory}-`);
    try {
      await build(jar, staging);
      await rename(staging, directory).catch(async (error: unknown) => {
        if (!(await exists(compiled))) throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  if (!(await exists(join(directory, CLASS_PATH_FILE)))) return { args: ["-cp", `${jar}:${directory}`, MAIN_CLASS], directory };
  const classPath = await packedClassPath(directory);
  return { args: ["-cp", classPath.join(":"), MAIN_CLASS], classPath, directory };
}

/** The packed jar, then the libraries. */
async function packedClassPath(directory: string): Promise<string[]> {
  const libraries = (await readFile(join(directory, CLASS_PATH_FILE), "utf8")).split("\n").filter(Boolean);
  return [join(directory, PACKED_JAR), ...libraries];
}

/**
 * Compiles the loopback main and the packer into `dir`, then packs; the class path file, written
 * last, says the packing succeeded. A failed packing (a full disk) costs the class archive only:
 * the main runs from `dir` beside the jar, on loopback still.
 */
async function build(jar: string, dir: string): Promise<void> {
  await writeFile(join(dir, `${MAIN_CLASS}.java`), MAIN_SOURCE);
  await writeFile(join(dir, `${PACKER_CLASS}.java`), PACKER_SOURCE);
  await compile(jar, dir);
  const packer = [PACKER_CLASS, jar, join(dir, PACKED_JAR), join(dir, `${MAIN_CLASS}.class`)];
  const packed = await promisify(execFile)("java", ["-cp", dir, ...packer]).catch(() => undefined);
  if (packed) await writeFile(join(dir, CLASS_PATH_FILE), packed.stdout);
  else await rm(join(dir, PACKED_JAR), { force: true });
}

async function compile(jar: string, dir: string): Promise<void> {
  const javac = ["-XX:TieredStopAtLevel=1", "--module", "jdk.compiler/com.sun.tools.javac.Main", "--release", "17"];
  const sources = [MAIN_CLASS, PACKER_CLASS].map((name) => join(dir, `${name}.java`));
  try {
    await promisify(execFile)("java", [...javac, "-cp", jar, "-d", dir, ...sources]);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error).trim();
    throw new LoopbackUnavailableError(`its loopback main did not compile (${stderr.split("\n")[0]})`);
  }
}

export const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
