import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DEFAULT_UPLOAD_SETTINGS, configEnvironment, type NamingPolicyMode, type RegistryConfig } from "../../shared/config";
import { ROLES } from "../../shared/domain/permissions";
import { OUTBOX_STREAM_FILTER } from "../../shared/events/model-events";
import { FUNCTIONS, type FunctionName } from "../../shared/routes";
import { ensureTable, warmTable } from "./create-table";
import { assertJava17, JavaMissingError, launchDynamoDbLocal, localCredentials, startS3rver, type RunningEngine } from "./engines";
import { readRulesFile, RulesFileError } from "./event-delivery";
import { startLocalEventBridge } from "./eventbridge";
import { createGateway, defaultActor, importHandler } from "./gateway";
import type { LocalQueue } from "./local-queue";
import { startStreamTailer, type RunningTailer, type StreamHandler } from "./stream-tailer";
import { scheduleHousekeeping, type LocalHousekeeping } from "./housekeeping";
import { DataDirInUseError, lockDataDir } from "./data-dir-lock";
import { callerResolver, callersLine, curlAuthArguments, loadCallers, roleBindingsFor, TokensFileError } from "./tokens";
import { WorkerPool } from "./worker-pool";

/**
 * `npm start`: the registry on a laptop or CI machine (docs/local.md). DynamoDB Local and s3rver keep
 * their data under REGISTRY_DATA_DIR; the local gateway runs the very same Lambda handlers,
 * whose SDK clients are pointed at those engines through the same config the Lambdas read.
 */

export const LOCAL_TABLE_NAME = "model-registry";
export const LOCAL_BUCKET_NAME = "model-registry-artifacts";
export const LOCAL_BUS_NAME = "model-registry-local";
export const LOCAL_DEAD_LETTER_QUEUE = "model-registry-local-dead-letters";
export const LOCAL_VERIFICATION_QUEUE = "model-registry-local-verification";
/** The verifier's worker module beside this one: its TypeScript source, or its bundle beside `npm start`'s (./launch.mjs). */
const VERIFIER_WORKER = new URL(`./verifier-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

export interface LocalRegistryOptions {
  /** API port; 0 picks a free one. Default: PORT or 3000. */
  readonly port?: number;
  readonly host?: string;
  /** Where the engines keep their data. Default: REGISTRY_DATA_DIR or `.registry/` under the working directory. */
  readonly dataDir?: string;
  /** No access log line per request. */
  readonly quiet?: boolean;
  readonly namingPolicy?: NamingPolicyMode;
  readonly actor?: string;
  /** The local bus's rules. Default: REGISTRY_RULES_FILE or `rules.json` in the data directory. */
  readonly rulesFile?: string;
  /** Bearer tokens → principals and roles (./tokens.ts). Default: REGISTRY_TOKENS_FILE; without one every request acts as `actor` with every role. */
  readonly tokensFile?: string;
  /** Access keys → secrets, principals and roles, for SigV4-signed requests (./tokens.ts). Default: REGISTRY_CREDENTIALS_FILE. */
  readonly credentialsFile?: string;
  /** How long presigned upload URLs live. Default: UPLOAD_URL_EXPIRY_SECONDS or 900. */
  readonly uploadUrlExpirySeconds?: number;
  /** Minutes between housekeeping runs; 0: only on demand. Default: REGISTRY_HOUSEKEEPING_MINUTES or 60. */
  readonly housekeepingMinutes?: number;
}

export interface LocalRegistry {
  readonly url: string;
  readonly dataDir: string;
  readonly actor: string;
  /** When set, callers authenticate with its bearer tokens instead of acting as `actor`. */
  readonly tokensFile?: string;
  /** When set, callers may sign requests with SigV4 with its access keys. */
  readonly credentialsFile?: string;
  /** `exposed`: why DynamoDB Local listens on every interface, when it does (./dynamodb-loopback.ts). */
  readonly engines: { readonly dynamodb: string; readonly s3: string; readonly exposed?: string };
  /** The local bus: where it listens, the events log every event is appended to, and the rules file. */
  readonly events: { readonly endpoint: string; readonly log: string; readonly rules: string; readonly deadLetters: string };
  /** The in-process verification queue feeding the verifier handler (./local-queue.ts). */
  readonly verifications: Pick<LocalQueue, "idle">;
  /** Housekeeping, the scheduled function in AWS: every `everyMinutes` (0: never by itself), and `runNow()` on demand (SIGUSR2 under `npm start`). */
  readonly housekeeping: Pick<LocalHousekeeping, "runNow"> & { readonly everyMinutes: number };
  stop(): Promise<void>;
}

export class PortInUseError extends Error {}
export class ConfigurationError extends Error {}

function namingPolicyFrom(value: string | undefined): NamingPolicyMode {
  if (value === undefined || value === "") return "strict";
  if (value === "strict" || value === "warn") return value;
  throw new ConfigurationError(`NAMING_POLICY must be "strict" or "warn", not "${value}".`);
}

/** As in AWS (shared/config.ts): a presigned URL lives at least a minute and at most 7 days. */
function urlExpiryFrom(value: number | string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_UPLOAD_SETTINGS.urlExpirySeconds;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 604_800)
    throw new ConfigurationError(`UPLOAD_URL_EXPIRY_SECONDS must be whole seconds from 60 to 604800 (7 days), not "${value}".`);
  return seconds;
}

function housekeepingMinutesFrom(value: string | undefined): number {
  if (value === undefined || value === "") return 60;
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes < 0)
    throw new ConfigurationError(`REGISTRY_HOUSEKEEPING_MINUTES must be a whole number of minutes (0: only on demand), not "${value}".`);
  return minutes;
}

function portFrom(value: string | undefined): number {
  if (value === undefined || value === "") return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigurationError(`PORT must be a port number (0-65535), not "${value}".`);
  return port;
}

/**
 * Starts the engines and the gateway. Handlers read their config from process.env when their
 * module loads, so this sets process.env for the whole process: one local registry per process.
 *
 * 1. read the tokens file, if any, and the rules file (a bad one stops here), and check for Java 17+;
 * 2. check that nothing answers on the API port, so a taken port fails fast without starting Java;
 * 3. launch DynamoDB Local, on 127.0.0.1 only, then s3rver and the local bus while its JVM starts,
 *    with their data under `dataDir`, on free ports of 127.0.0.1;
 * 4. point the handlers' environment at the engines and load every handler, while the JVM starts;
 * 5. once DynamoDB Local answers, create the table (shared definition) when absent, then make
 *    DynamoDB Local's slow first requests of each kind (./create-table.ts, warmTable) while the
 *    stream tailer starts feeding the events publisher, as the event source mapping does in AWS;
 * 6. only then listen on the API port: until it answers, a connection is refused (docs/local.md).
 */
export async function startLocalRegistry(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const port = options.port ?? portFrom(process.env.PORT);
  const host = options.host ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir ?? (process.env.REGISTRY_DATA_DIR || ".registry"));
  const namingPolicy = options.namingPolicy ?? namingPolicyFrom(process.env.NAMING_POLICY);
  const urlExpirySeconds = urlExpiryFrom(options.uploadUrlExpirySeconds ?? process.env.UPLOAD_URL_EXPIRY_SECONDS);
  const actor = options.actor ?? defaultActor();
  const rulesFile =
    options.rulesFile ?? (process.env.REGISTRY_RULES_FILE ? resolve(process.env.REGISTRY_RULES_FILE) : resolve(dataDir, "rules.json"));
  const tokensFile = options.tokensFile ?? (process.env.REGISTRY_TOKENS_FILE ? resolve(process.env.REGISTRY_TOKENS_FILE) : undefined);
  const credentialsFile =
    options.credentialsFile ?? (process.env.REGISTRY_CREDENTIALS_FILE ? resolve(process.env.REGISTRY_CREDENTIALS_FILE) : undefined);
  const housekeepingMinutes = options.housekeepingMinutes ?? housekeepingMinutesFrom(process.env.REGISTRY_HOUSEKEEPING_MINUTES);
  const tokens = await loadCallers({ tokensFile, credentialsFile });
  await readRulesFile(rulesFile);

  await assertJava17();
  await assertNothingAnswers(port, host);
  const unlockDataDir = await lockDataDir(dataDir);
  const api = localApi(createGateway({ actor, resolveActor: tokens && callerResolver(tokens), quiet: options.quiet }));

  let tailer: RunningTailer | undefined;
  const engines: RunningEngine[] = [];
  // engine.stop() signals DynamoDB Local's Java process synchronously, before it awaits anything.
  const stopEngines = async () => {
    process.off("exit", abandonEngines);
    const stopping = engines.splice(0).reverse();
    await Promise.allSettled(stopping.map((engine) => engine.stop()));
    await unlockDataDir();
  };
  // Never leave a Java process behind, even when this process exits without stop() (a crash).
  const abandonEngines = () => void stopEngines();
  process.once("exit", abandonEngines);
  try {
    await mkdir(resolve(dataDir, "dynamodb"), { recursive: true });
    await mkdir(resolve(dataDir, "s3"), { recursive: true });
    // Each engine is tracked as soon as it is up, so a failure of another still stops it.
    const tracked = async <E extends RunningEngine>(starting: Promise<E>): Promise<E> => {
      const engine = await starting;
      engines.push(engine);
      return engine;
    };
    // DynamoDB Local first: its JVM takes longest to start, and everything else loads and starts meanwhile.
    const dynamodb = await tracked(launchDynamoDbLocal({ dataDir: resolve(dataDir, "dynamodb") }));
    const [s3, bus] = await Promise.all([
      tracked(startS3rver({ dataDir: resolve(dataDir, "s3"), bucket: LOCAL_BUCKET_NAME })),
      tracked(
        startLocalEventBridge({
          dataDir,
          rulesFile,
          busName: LOCAL_BUS_NAME,
          deadLetterQueue: LOCAL_DEAD_LETTER_QUEUE,
          verbose: process.env.POWERTOOLS_LOG_LEVEL === "DEBUG",
          // The same verifier handler as in AWS, fed by SendMessage to the verification queue, each task in a worker.
          queues: [{ name: LOCAL_VERIFICATION_QUEUE, consumer: new WorkerPool({ script: VERIFIER_WORKER }) }],
        }),
      ),
    ]);

    const config: RegistryConfig = {
      region: "us-east-1",
      tableName: LOCAL_TABLE_NAME,
      bucketName: LOCAL_BUCKET_NAME,
      busName: LOCAL_BUS_NAME,
      namingPolicy,
      endpoints: { dynamodb: dynamodb.endpoint, s3: s3.endpoint, events: bus.endpoint },
      deadLetterQueueUrl: bus.queueUrl(LOCAL_DEAD_LETTER_QUEUE),
      verificationQueueUrl: bus.queueUrl(LOCAL_VERIFICATION_QUEUE),
      logLevel: process.env.POWERTOOLS_LOG_LEVEL || "WARN",
      uploads: { ...DEFAULT_UPLOAD_SETTINGS, urlExpirySeconds },
      // Locally every caller acts with every role, unless a tokens file says who holds which (docs/local.md, Callers).
      roleBindings: tokens ? roleBindingsFor(tokens) : [{ pattern: "local:*", roles: ROLES }],
    };
    pointHandlersAt(config);
    // The JVM's start is the longest step: the handlers load meanwhile, and no route's first request waits for its module.
    const [publisher] = await Promise.all([
      import("../../functions/publisher/handler"),
      ...Object.keys(FUNCTIONS).map((fn) => importHandler(fn as FunctionName)),
      dynamodb.answering.then(() => createTable(config)),
    ]);
    // The tailer starts while DynamoDB Local makes its first requests of each kind (./create-table.ts, warmTable).
    const [running] = await Promise.all([
      tailOutbox(config, dataDir, publisher.handler).then((started) => (tailer = started)),
      withTableClient(config, (client) => warmTable(client, config.tableName)),
    ]);
    const url = await listen(api, port, host);
    const housekeeping = scheduleHousekeeping({
      everyMs: housekeepingMinutes === 0 ? undefined : housekeepingMinutes * 60_000,
      handler: async () => (await import("../../functions/housekeeping/handler")).handler,
      onError: (error) => console.error("Housekeeping failed:", error),
    });

    let stopped: Promise<void> | undefined;
    return {
      url,
      dataDir,
      actor,
      tokensFile,
      credentialsFile,
      engines: { dynamodb: dynamodb.endpoint, s3: s3.endpoint, exposed: dynamodb.warning },
      events: { endpoint: bus.endpoint, log: bus.eventsLog, rules: bus.rulesFile, deadLetters: bus.deadLettersLog },
      verifications: bus.queue(LOCAL_VERIFICATION_QUEUE) as LocalQueue,
      housekeeping: { runNow: housekeeping.runNow, everyMinutes: housekeepingMinutes },
      stop: () =>
        (stopped ??= (async () => {
          await closeServer(api).catch(() => undefined);
          // A run under way ends while the engines still answer.
          await housekeeping.stop();
          // The tailer finishes the batch in hand while the engines still answer.
          await running.stop().catch(() => undefined);
          await stopEngines();
        })()),
    };
  } catch (error) {
    await tailer?.stop().catch(() => undefined);
    await stopEngines();
    throw error;
  }
}

/**
 * The local API: the gateway behind a readiness check. `GET /health` answers 200 without
 * authentication, for whatever waits for `npm start` (a script, a supervisor); the port listens
 * only once everything is ready, so a refused connection means "not yet". In AWS, /health is an
 * IAM-authorised route like every other (docs/local.md, "Starting and stopping").
 */
function localApi(gateway: Server): Server {
  const api = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== "/health") return void gateway.emit("request", request, response);
    const body = JSON.stringify({ status: "ok" });
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    response.end(body);
  });
  api.on("connect", (...connect: unknown[]) => gateway.emit("connect", ...connect));
  return api;
}

/** Listens on `host:port` (0: any free port) and answers with the URL; a taken port is a PortInUseError. */
async function listen(server: Server, port: number, host: string): Promise<string> {
  try {
    await new Promise<void>((resolveListening, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolveListening();
      });
    });
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === "EADDRINUSE" ? portInUse(port, host) : error;
  }
  const { port: bound } = server.address() as AddressInfo;
  return `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
}

/** A taken port fails fast, before Java starts, without listening on it (that would accept connections before ready). */
async function assertNothingAnswers(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const answers = await new Promise<boolean>((resolveProbe) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once("error", () => resolveProbe(false));
  });
  if (answers) throw portInUse(port, host);
}

const portInUse = (port: number, host: string) =>
  new PortInUseError(
    `Port ${port} on ${host} is already in use; stop whatever holds it, or start another registry with PORT=<another port> REGISTRY_DATA_DIR=<another folder>.`,
  );

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClosed, reject) => {
    server.close((error) => (error ? reject(error) : resolveClosed()));
    server.closeAllConnections();
  });
}

/** The table, from the shared definition, when absent. */
const createTable = (config: RegistryConfig) => withTableClient(config, (client) => ensureTable(client, config.tableName));

/** Runs `use` with a client of the handlers' DynamoDB endpoint (the commit barrier, when there is one), destroyed afterwards. */
async function withTableClient(config: RegistryConfig, use: (client: DynamoDBClient) => Promise<void>): Promise<void> {
  const client = new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb, credentials: localCredentials });
  try {
    await use(client);
  } finally {
    client.destroy();
  }
}

/** The handlers read their config from the environment when they load, as in Lambda. */
function pointHandlersAt(config: RegistryConfig): void {
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, configEnvironment(config), {
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_DEFAULT_REGION: config.region,
  });
}

/**
 * Drives the events publisher's real handler from the table's stream, with the CDK event source
 * mapping's filter. The checkpoint in the data directory makes a restart pick up where it stopped.
 */
function tailOutbox(config: RegistryConfig, dataDir: string, handler: StreamHandler): Promise<RunningTailer> {
  return startStreamTailer({
    endpoint: config.endpoints.dynamodb as string,
    region: config.region,
    tableName: config.tableName,
    filter: OUTBOX_STREAM_FILTER,
    checkpointFile: resolve(dataDir, "stream-checkpoint.json"),
    handler,
  });
}

/** What `npm start` prints once everything answers: the URL, the engines, and a first request to copy. */
export function banner(registry: LocalRegistry): string {
  const { url } = registry;
  const body = JSON.stringify({
    source: "s3://my-training-bucket/fraud_detector/model.tar.gz",
    metrics: { auc: 0.93 },
    params: { max_depth: 6 },
    bump: "minor",
  });
  const auth = curlAuthArguments(registry);
  return [
    `Model registry API: ${url}`,
    `engines: dynamodb ${registry.engines.dynamodb}, s3 ${registry.engines.s3} (data in ${registry.dataDir})`,
    ...(registry.engines.exposed ? [registry.engines.exposed] : []),
    registry.tokensFile || registry.credentialsFile ? callersLine(registry) : `Every request acts as ${registry.actor}.`,
    `events: appended to ${registry.events.log}; rules (HTTP targets) from ${registry.events.rules}`,
    `undelivered events: ${registry.events.deadLetters}; put them back on the bus with`,
    `  npm run redeliver -- --endpoint ${registry.events.endpoint} --file ${registry.events.deadLetters}`,
    `housekeeping (retention rules): ${registry.housekeeping.everyMinutes === 0 ? "on demand only" : `every ${registry.housekeeping.everyMinutes} min`}; run it now with kill -USR2 ${process.pid}`,
    "",
    `Register a first version (creates the model)${auth ? ", with a caller of that file" : ""}:`,
    `  curl -s${auth} -X POST ${url}/models/fraud_detector/versions -H 'content-type: application/json' \\`,
    `    -d '${body}'`,
    `  curl -s${auth} ${url}/models/fraud_detector/versions/1`,
    `  curl -s${auth} ${url}/openapi.json`,
    "",
    "Ctrl-C stops the API and the engines.",
  ].join("\n");
}

/** `npm start`: ./launch.mjs runs it from its bundle; `tsx infra/local/start.ts` runs it from the sources. */
export async function main(): Promise<void> {
  // The Lambda runtime is Node.js 22; on a Node 20 laptop the SDK's upgrade notice is noise above the URL.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const starting = startLocalRegistry();
  // A signal while the engines start stops them once they have started (they never outlive this process).
  const requestStop = stopOnSignals(async () => (await starting).stop());
  stopWhenOrphaned(() => requestStop("its parent process is gone"));
  let registry: LocalRegistry;
  try {
    registry = await starting;
  } catch (error) {
    if (
      error instanceof JavaMissingError ||
      error instanceof PortInUseError ||
      error instanceof DataDirInUseError ||
      error instanceof ConfigurationError ||
      error instanceof TokensFileError ||
      error instanceof RulesFileError
    ) {
      console.error(error.message);
    } else {
      console.error("The local registry failed to start:", error);
    }
    process.exit(1);
  }
  process.on("SIGUSR2", () => void registry.housekeeping.runNow());
  console.log(banner(registry));
  console.log(`Ready in ${process.uptime().toFixed(1)} s.`);
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/**
 * Ctrl-C reaches every process of the terminal's group, and npm (and tsx, when it runs this file)
 * passes it on as well: one Ctrl-C arrives up to three times within milliseconds.
 */
const SAME_REQUEST_MS = 1_000;

/**
 * One handler per stop signal: the first stops the API, the stream tailer, then the engines, and
 * exits 0. Another one later than SAME_REQUEST_MS exits at once: the exit handler still sends the
 * engines SIGTERM, and DynamoDB Local's watchdog sees this process go (./engines.ts).
 * Answers the function that requests a stop for another reason.
 */
function stopOnSignals(stop: () => Promise<void>): (reason: string) => void {
  let firstAt: number | undefined;
  const requestStop = (reason: string) => {
    if (firstAt !== undefined && Date.now() - firstAt < SAME_REQUEST_MS) return;
    if (firstAt !== undefined) {
      console.error(`${reason} again: exiting without waiting for the engines to stop.`);
      process.exit(1);
    }
    firstAt = Date.now();
    console.log(`${reason}: stopping the API and the engines…`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("Stopping failed:", error);
        process.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, requestStop);
  return requestStop;
}

/** npm or tsx killed with SIGKILL leaves this process to init: stop then, as a closed terminal would make us. */
function stopWhenOrphaned(stop: () => void): void {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    stop();
  }, 1_000);
  watch.unref();
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
