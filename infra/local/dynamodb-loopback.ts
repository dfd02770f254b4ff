import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
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

/** Where the compiled main is kept: beside the CLI's upload journal (client/journal.ts). */
function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "model-registry", "dynamodb-local");
}

export class LoopbackUnavailableError extends Error {}

/**
 * The Java arguments that run DynamoDB Local's `jar` through the loopback main instead of `-jar`,
 * compiling it on first use. Concurrent first starts each compile into a directory of their own
 * and rename it into place: the first rename wins, the others use it.
 */
export async function loopbackLaunch(jar: string): Promise<string[]> {
  const key = createHash("sha256").update(MAIN_SOURCE).update(jar).digest("hex").slice(0, 16);
  const classes = join(cacheDirectory(), key);
  const classpath = ["-cp", `${jar}:${classes}`, MAIN_CLASS];
  if (await exists(join(classes, `${MAIN_CLASS}.class`))) return classpath;

  await mkdir(cacheDirectory(), { recursive: true });
  const staging = await mkdtemp(`${classes}-`);
  try {
    await writeFile(join(staging, `${MAIN_CLASS}.java`), MAIN_SOURCE);
    await compile(jar, staging);
    await rename(staging, classes).catch(async (error: unknown) => {
      if (!(await exists(join(classes, `${MAIN_CLASS}.class`)))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return classpath;
}

async function compile(jar: string, dir: string): Promise<void> {
  const javac = ["-XX:TieredStopAtLevel=1", "--module", "jdk.compiler/com.sun.tools.javac.Main", "--release", "17"];
  try {
    await promisify(execFile)("java", [...javac, "-cp", jar, "-d", dir, join(dir, `${MAIN_CLASS}.java`)]);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error).trim();
    throw new LoopbackUnavailableError(`its loopback main did not compile (${stderr.split("\n")[0]})`);
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
