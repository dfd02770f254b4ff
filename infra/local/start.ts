import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DEFAULT_UPLOAD_SETTINGS, configEnvironment, type NamingPolicyMode, type RegistryConfig } from "../../shared/config";
import { ROLES } from "../../shared/domain/permissions";
import { OUTBOX_STREAM_FILTER } from "../../shared/events/model-events";
import { ensureTable } from "./create-table";
import { assertJava17, JavaMissingError, localCredentials, startDynamoDbLocal, startS3rver, type RunningEngine } from "./engines";
import { startLocalEventBridge } from "./eventbridge";
import { defaultActor, importHandler, startGateway, type RunningGateway } from "./gateway";
import { startStreamTailer, type RunningTailer } from "./stream-tailer";
import { bearerTokenResolver, loadTokensFile, roleBindingsFor, TokensFileError } from "./tokens";

/**
 * `npm start`: the registry on a laptop or CI machine (SPEC §1). DynamoDB Local and s3rver keep
 * their data under REGISTRY_DATA_DIR; the local gateway runs the very same Lambda handlers,
 * whose SDK clients are pointed at those engines through the same config the Lambdas read.
 */

export const LOCAL_TABLE_NAME = "model-registry";
export const LOCAL_BUCKET_NAME = "model-registry-artifacts";
export const LOCAL_BUS_NAME = "model-registry-local";
export const LOCAL_DEAD_LETTER_QUEUE = "model-registry-local-dead-letters";

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
}

export interface LocalRegistry {
  readonly url: string;
  readonly dataDir: string;
  readonly actor: string;
  /** When set, callers authenticate with its bearer tokens instead of acting as `actor`. */
  readonly tokensFile?: string;
  readonly engines: { readonly dynamodb: string; readonly s3: string };
  /** The local bus: where it listens, the events log every event is appended to, and the rules file. */
  readonly events: { readonly endpoint: string; readonly log: string; readonly rules: string };
  stop(): Promise<void>;
}

export class PortInUseError extends Error {}
export class ConfigurationError extends Error {}

function namingPolicyFrom(value: string | undefined): NamingPolicyMode {
  if (value === undefined || value === "") return "strict";
  if (value === "strict" || value === "warn") return value;
  throw new ConfigurationError(`NAMING_POLICY must be "strict" or "warn", not "${value}".`);
}

function portFrom(value: string | undefined): number {
  if (value === undefined || value === "") return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError(`PORT must be a port number (0-65535), not "${value}".`);
  return port;
}

/**
 * Starts the engines and the gateway. Handlers read their config from process.env when their
 * module loads, so this sets process.env for the whole process: one local registry per process.
 *
 * 1. read the tokens file, if any, and check for Java 17+ (DynamoDB Local);
 * 2. bind the API port first, so a taken port fails fast without starting Java;
 * 3. start DynamoDB Local and s3rver with their data under `dataDir`, on free ports;
 * 4. create the table (shared definition) and bucket when absent;
 * 5. point the handlers' environment at the engines; only then may requests load handlers;
 * 6. tail the table's stream into the events publisher, as the event source mapping does in AWS.
 */
export async function startLocalRegistry(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const port = options.port ?? portFrom(process.env.PORT);
  const host = options.host ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir ?? (process.env.REGISTRY_DATA_DIR || ".registry"));
  const namingPolicy = options.namingPolicy ?? namingPolicyFrom(process.env.NAMING_POLICY);
  const actor = options.actor ?? defaultActor();
  const rulesFile = options.rulesFile ?? (process.env.REGISTRY_RULES_FILE ? resolve(process.env.REGISTRY_RULES_FILE) : undefined);
  const tokensFile = options.tokensFile ?? (process.env.REGISTRY_TOKENS_FILE ? resolve(process.env.REGISTRY_TOKENS_FILE) : undefined);
  const tokens = tokensFile ? await loadTokensFile(tokensFile) : undefined;

  await assertJava17();

  let markReady!: () => void;
  let markFailed!: (error: Error) => void;
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    markReady = resolveReady;
    markFailed = rejectReady;
  });
  ready.catch(() => undefined);

  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      port,
      host,
      actor,
      resolveActor: tokens && bearerTokenResolver(tokens),
      quiet: options.quiet,
      // Handlers build their clients at module load: none may load before the environment is set.
      loadHandler: async (fn) => {
        await ready;
        return importHandler(fn);
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new PortInUseError(`Port ${port} on ${host} is already in use; stop whatever holds it or start with PORT=<another port>.`);
    }
    throw error;
  }

  const engines: RunningEngine[] = [];
  // engine.stop() signals DynamoDB Local's Java process synchronously, before it awaits anything.
  const stopEngines = async () => {
    process.off("exit", abandonEngines);
    const stopping = engines.splice(0).reverse();
    await Promise.allSettled(stopping.map((engine) => engine.stop()));
  };
  // Never leave a Java process behind, even when this process exits without stop() (a crash).
  const abandonEngines = () => void stopEngines();
  process.once("exit", abandonEngines);
  try {
    await mkdir(resolve(dataDir, "dynamodb"), { recursive: true });
    await mkdir(resolve(dataDir, "s3"), { recursive: true });
    const [dynamodb, s3, bus] = await Promise.all([
      startDynamoDbLocal({ dataDir: resolve(dataDir, "dynamodb") }).then((engine) => (engines.push(engine), engine)),
      startS3rver({ dataDir: resolve(dataDir, "s3"), bucket: LOCAL_BUCKET_NAME }).then((engine) => (engines.push(engine), engine)),
      startLocalEventBridge({ dataDir, rulesFile, busName: LOCAL_BUS_NAME }).then((engine) => (engines.push(engine), engine)),
    ]);

    const config: RegistryConfig = {
      region: "us-east-1",
      tableName: LOCAL_TABLE_NAME,
      bucketName: LOCAL_BUCKET_NAME,
      busName: LOCAL_BUS_NAME,
      namingPolicy,
      endpoints: { dynamodb: dynamodb.endpoint, s3: s3.endpoint, events: bus.endpoint },
      deadLetterQueueUrl: bus.queueUrl(LOCAL_DEAD_LETTER_QUEUE),
      logLevel: process.env.POWERTOOLS_LOG_LEVEL || "WARN",
      uploads: DEFAULT_UPLOAD_SETTINGS,
      // Locally every caller acts with every role, unless a tokens file says who holds which (SPEC §6).
      roleBindings: tokens ? roleBindingsFor(tokens) : [{ pattern: "local:*", roles: ROLES }],
    };
    const client = new DynamoDBClient({ region: config.region, endpoint: dynamodb.endpoint, credentials: localCredentials });
    try {
      await ensureTable(client, config.tableName);
    } finally {
      client.destroy();
    }

    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, configEnvironment(config), {
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_DEFAULT_REGION: config.region,
    });
    markReady();
    const tailer = await tailOutbox(config, dataDir);

    let stopped: Promise<void> | undefined;
    return {
      url: gateway.url,
      dataDir,
      actor,
      tokensFile,
      engines: { dynamodb: dynamodb.endpoint, s3: s3.endpoint },
      events: { endpoint: bus.endpoint, log: bus.eventsLog, rules: bus.rulesFile },
      stop: () =>
        (stopped ??= (async () => {
          await gateway.close().catch(() => undefined);
          // The tailer finishes the batch in hand while the engines still answer.
          await tailer.stop().catch(() => undefined);
          await stopEngines();
        })()),
    };
  } catch (error) {
    markFailed(error as Error);
    await gateway.close().catch(() => undefined);
    await stopEngines();
    throw error;
  }
}

/**
 * Drives the events publisher's real handler from the table's stream, with the CDK event source
 * mapping's filter. The checkpoint in the data directory makes a restart pick up where it stopped.
 */
async function tailOutbox(config: RegistryConfig, dataDir: string): Promise<RunningTailer> {
  const { handler } = await import("../../functions/publisher/handler");
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
  return [
    `Model registry API: ${url}`,
    `engines: dynamodb ${registry.engines.dynamodb}, s3 ${registry.engines.s3} (data in ${registry.dataDir})`,
    registry.tokensFile ? `Requests authenticate with 'Authorization: Bearer <token>' from ${registry.tokensFile}.` : `Every request acts as ${registry.actor}.`,
    `events: appended to ${registry.events.log}; rules (HTTP targets) from ${registry.events.rules}`,
    "",
    "Register a first version (creates the model):",
    `  curl -s -X POST ${url}/models/fraud_detector/versions -H 'content-type: application/json' \\`,
    `    -d '${body}'`,
    `  curl -s ${url}/models/fraud_detector/versions/1`,
    `  curl -s ${url}/openapi.json`,
    "",
    "Ctrl-C stops the API and the engines.",
  ].join("\n");
}

async function main(): Promise<void> {
  // The Lambda runtime is Node.js 22; on a Node 20 laptop the SDK's upgrade notice is noise above the URL.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  let registry: LocalRegistry;
  try {
    registry = await startLocalRegistry();
  } catch (error) {
    if (error instanceof JavaMissingError || error instanceof PortInUseError || error instanceof ConfigurationError || error instanceof TokensFileError) {
      console.error(error.message);
    } else {
      console.error("The local registry failed to start:", error);
    }
    process.exit(1);
  }
  console.log(banner(registry));

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting for the engines.`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: stopping the API and the engines…`);
    registry.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("Stopping failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
