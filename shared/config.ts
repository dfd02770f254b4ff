import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { ROLES, type RoleBinding } from "./domain/permissions";
import { DEFAULT_VERIFY_ASSURED_MIBPS, S3_MAX_OBJECT_BYTES } from "./domain/artifacts";
import { NAMING_POLICY_MODES, type NamingPolicyMode } from "./domain/naming";
import {
  flag,
  isOneOf,
  json,
  number,
  oneOf,
  optional,
  refuse,
  required,
  SettingRefused,
  text,
  url,
  withDefault,
  type SettingReader,
} from "./setting-readers";

/** Everything a handler, the local server or a test needs to know about its environment. */
export interface RegistryConfig {
  readonly region: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly busName: string;
  readonly namingPolicy: NamingPolicyMode;
  readonly endpoints: { readonly dynamodb?: string; readonly s3?: string; readonly events?: string };
  /** SQS queue for events the publisher could not put on the bus (the publisher needs it; API functions do not). */
  readonly deadLetterQueueUrl?: string;
  /** A Powertools log level name (POWERTOOLS_LOG_LEVEL): the level of the process's logger. */
  readonly logLevel: string;
  /** CloudWatch namespace of the registry's metrics (POWERTOOLS_METRICS_NAMESPACE): without one (locally, in tests) no metric is emitted. */
  readonly metricsNamespace?: string;
  /** X-Ray tracing through Powertools Tracer (POWERTOOLS_TRACE_ENABLED=true): on in the deployed functions, off by default. */
  readonly tracing?: boolean;
  /** Which verified principals hold which roles (docs/operations.md, Who may call). */
  readonly roleBindings: readonly RoleBinding[];
  readonly uploads: UploadSettings;
  /** SQS queue of file verification tasks: `complete` sends to it, the verifier takes from it (functions that verify need it). */
  readonly verificationQueueUrl?: string;
  /** How the verifier reads and hashes (default DEFAULT_VERIFICATION_SETTINGS). */
  readonly verification?: VerificationSettings;
  /** How much one housekeeping run does (default DEFAULT_HOUSEKEEPING_SETTINGS). */
  readonly housekeeping?: HousekeepingSettings;
}

/** docs/artifacts.md: how long upload URLs live, and the largest artifact a version may declare. */
export interface UploadSettings {
  readonly urlExpirySeconds: number;
  readonly maxArtifactBytes: number;
}

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = { urlExpirySeconds: 900, maxArtifactBytes: S3_MAX_OBJECT_BYTES };

/** docs/artifacts.md, "Verification": how one verification task reads a file and how long it may run. */
export interface VerificationSettings {
  /** Bytes per ranged GET. */
  readonly chunkBytes: number;
  /** Ranged GETs in flight per task. */
  readonly concurrency: number;
  /** How long one task hashes before it saves its state and hands the rest to a follow-up task. */
  readonly budgetSeconds: number;
  /** Progress is saved every this many bytes, so a task that dies re-reads at most this much. */
  readonly checkpointBytes: number;
  /**
   * A read-and-hash rate every task reaches, MiB/s: a file that a fresh task would finish at this rate
   * within its budget is hashed in one go, with Node's crypto, saving no progress (0: never).
   */
  readonly assuredMiBps: number;
}

export const DEFAULT_VERIFICATION_SETTINGS: VerificationSettings = {
  chunkBytes: 8 * 1024 * 1024,
  concurrency: 8,
  budgetSeconds: 600,
  checkpointBytes: 256 * 1024 * 1024,
  // A few times below what parallel ranged GETs from S3 reach in Lambda: 600 s of it is about 23 GiB.
  assuredMiBps: DEFAULT_VERIFY_ASSURED_MIBPS,
};

/** docs/lifecycle.md, "Retention": one housekeeping run's bounds; what it leaves, the next run does. */
export interface HousekeepingSettings {
  readonly modelsPerRun: number;
  readonly versionsPerModel: number;
}

export const DEFAULT_HOUSEKEEPING_SETTINGS: HousekeepingSettings = { modelsPerRun: 25, versionsPerModel: 20 };

export type { NamingPolicyMode };

/**
 * The environment variable behind each setting: the one spelling `loadConfig` reads and
 * `environmentOf` writes (for the local server, tests and the CDK stacks), so a misspelt name
 * cannot go unnoticed while the setting quietly takes its default.
 */
export const ENVIRONMENT_VARIABLES = {
  region: "AWS_REGION",
  tableName: "TABLE_NAME",
  bucketName: "BUCKET_NAME",
  busName: "BUS_NAME",
  namingPolicy: "NAMING_POLICY",
  dynamodbEndpoint: "DYNAMODB_ENDPOINT",
  s3Endpoint: "S3_ENDPOINT",
  eventsEndpoint: "EVENTS_ENDPOINT",
  deadLetterQueueUrl: "DLQ_URL",
  logLevel: "POWERTOOLS_LOG_LEVEL",
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  tracing: "POWERTOOLS_TRACE_ENABLED",
  roleBindings: "ROLE_BINDINGS",
  uploadUrlExpirySeconds: "UPLOAD_URL_EXPIRY_SECONDS",
  maxArtifactBytes: "MAX_ARTIFACT_BYTES",
  verificationQueueUrl: "VERIFICATION_QUEUE_URL",
  verifyChunkBytes: "VERIFY_CHUNK_BYTES",
  verifyConcurrency: "VERIFY_CONCURRENCY",
  verifyBudgetSeconds: "VERIFY_BUDGET_SECONDS",
  verifyCheckpointBytes: "VERIFY_CHECKPOINT_BYTES",
  verifyAssuredMiBps: "VERIFY_ASSURED_MIBPS",
  housekeepingModelsPerRun: "HOUSEKEEPING_MODELS_PER_RUN",
  housekeepingVersionsPerModel: "HOUSEKEEPING_VERSIONS_PER_MODEL",
} as const;
export type Setting = keyof typeof ENVIRONMENT_VARIABLES;

/** Powertools' level names; it reads them in any case. */
const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"] as const satisfies readonly LogLevel[];

const logLevel = (text: string) => oneOf(LOG_LEVELS)(text.toUpperCase());

const roleBindings = (value: unknown): RoleBinding[] =>
  Array.isArray(value)
    ? value.map(roleBinding)
    : refuse('a JSON array of role bindings, such as [{"pattern":"arn:aws:iam::*","roles":["reader"]}]');

function roleBinding(value: unknown, index: number): RoleBinding {
  const { pattern, roles } = (
    typeof value === "object" && value !== null ? value : refuse("an object with pattern and roles", [index])
  ) as Record<string, unknown>;
  if (typeof pattern !== "string" || pattern === "") refuse("a principal pattern, at least 1 character", [index, "pattern"]);
  if (!Array.isArray(roles)) return refuse("an array of roles", [index, "roles"]);
  return {
    pattern,
    roles: roles.map((role, at) => (isOneOf(ROLES, role) ? role : refuse(`one of ${ROLES.join(", ")}`, [index, "roles", at]))),
  };
}

const wholeNumber = (min: number, max?: number) => number({ integer: true, min, max });

const SETTING_READERS = {
  region: withDefault(text(), "us-east-1"),
  tableName: required(text(3)),
  bucketName: withDefault(text(3), "model-registry-artifacts"),
  busName: withDefault(text(1), "model-registry"),
  namingPolicy: withDefault(oneOf(NAMING_POLICY_MODES), "strict"),
  dynamodbEndpoint: optional(url),
  s3Endpoint: optional(url),
  eventsEndpoint: optional(url),
  deadLetterQueueUrl: optional(url),
  logLevel: withDefault(logLevel, "INFO"),
  metricsNamespace: optional(text(1)),
  tracing: withDefault(flag, false),
  roleBindings: withDefault(json(roleBindings), []),
  // SigV4 presigned URLs live at most 7 days (and never longer than the signing role's session).
  uploadUrlExpirySeconds: withDefault(wholeNumber(60, 604_800), DEFAULT_UPLOAD_SETTINGS.urlExpirySeconds),
  maxArtifactBytes: withDefault(wholeNumber(1, S3_MAX_OBJECT_BYTES), DEFAULT_UPLOAD_SETTINGS.maxArtifactBytes),
  verificationQueueUrl: optional(url),
  // A chunk is held in memory per read in flight: 64 KiB to 256 MiB.
  verifyChunkBytes: withDefault(wholeNumber(65_536, 268_435_456), DEFAULT_VERIFICATION_SETTINGS.chunkBytes),
  verifyConcurrency: withDefault(wholeNumber(1, 64), DEFAULT_VERIFICATION_SETTINGS.concurrency),
  // Under the verifier function's 15-minute Lambda limit, with room to save the state and send the follow-up.
  verifyBudgetSeconds: withDefault(number({ min: 0, max: 840 }), DEFAULT_VERIFICATION_SETTINGS.budgetSeconds),
  verifyCheckpointBytes: withDefault(wholeNumber(0), DEFAULT_VERIFICATION_SETTINGS.checkpointBytes),
  verifyAssuredMiBps: withDefault(number({ min: 0 }), DEFAULT_VERIFICATION_SETTINGS.assuredMiBps),
  housekeepingModelsPerRun: withDefault(wholeNumber(1, 1000), DEFAULT_HOUSEKEEPING_SETTINGS.modelsPerRun),
  housekeepingVersionsPerModel: withDefault(wholeNumber(1, 1000), DEFAULT_HOUSEKEEPING_SETTINGS.versionsPerModel),
} satisfies Record<Setting, SettingReader<unknown>>;

type Settings = { [S in Setting]: ReturnType<(typeof SETTING_READERS)[S]> };

/** Every setting read from its variable; every refusal named by its variable (and the place inside it), all at once. */
function readSettings(env: NodeJS.ProcessEnv): Settings {
  const settings: Partial<Record<Setting, unknown>> = {};
  const problems: string[] = [];
  for (const [setting, variable] of Object.entries(ENVIRONMENT_VARIABLES) as [Setting, string][]) {
    try {
      settings[setting] = SETTING_READERS[setting](env[variable]);
    } catch (error) {
      if (!(error instanceof SettingRefused)) throw error;
      problems.push(`${[variable, ...error.inside].join(".")}: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid registry configuration: ${problems.join("; ")}`);
  return settings as Settings;
}

/** Reads and validates the process environment once; a missing setting fails at cold start, not mid-request. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const s = readSettings(env);
  return {
    region: s.region,
    tableName: s.tableName,
    bucketName: s.bucketName,
    busName: s.busName,
    namingPolicy: s.namingPolicy,
    endpoints: { dynamodb: s.dynamodbEndpoint, s3: s.s3Endpoint, events: s.eventsEndpoint },
    deadLetterQueueUrl: s.deadLetterQueueUrl,
    logLevel: s.logLevel,
    metricsNamespace: s.metricsNamespace,
    tracing: s.tracing,
    roleBindings: s.roleBindings,
    uploads: { urlExpirySeconds: s.uploadUrlExpirySeconds, maxArtifactBytes: s.maxArtifactBytes },
    verificationQueueUrl: s.verificationQueueUrl,
    verification: {
      chunkBytes: s.verifyChunkBytes,
      concurrency: s.verifyConcurrency,
      budgetSeconds: s.verifyBudgetSeconds,
      checkpointBytes: s.verifyCheckpointBytes,
      assuredMiBps: s.verifyAssuredMiBps,
    },
    housekeeping: { modelsPerRun: s.housekeepingModelsPerRun, versionsPerModel: s.housekeepingVersionsPerModel },
  };
}

/** Environment variables that set these settings, each under its one name (settings left undefined are left out). */
export function environmentOf(settings: { readonly [S in Setting]?: string }): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).flatMap(([setting, value]) =>
      value === undefined ? [] : [[ENVIRONMENT_VARIABLES[setting as Setting], value]],
    ),
  );
}

/** The environment variables that make a process load `config`: the local server and tests hand these to handlers. */
export function configEnvironment(config: RegistryConfig): Record<string, string> {
  return environmentOf({
    region: config.region,
    tableName: config.tableName,
    bucketName: config.bucketName,
    busName: config.busName,
    namingPolicy: config.namingPolicy,
    dynamodbEndpoint: config.endpoints.dynamodb,
    s3Endpoint: config.endpoints.s3,
    eventsEndpoint: config.endpoints.events,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    logLevel: config.logLevel,
    metricsNamespace: config.metricsNamespace,
    tracing: String(config.tracing ?? false),
    roleBindings: JSON.stringify(config.roleBindings),
    uploadUrlExpirySeconds: String(config.uploads.urlExpirySeconds),
    maxArtifactBytes: String(config.uploads.maxArtifactBytes),
    verificationQueueUrl: config.verificationQueueUrl,
    ...verificationEnvironment(config.verification ?? DEFAULT_VERIFICATION_SETTINGS),
    ...housekeepingEnvironment(config.housekeeping ?? DEFAULT_HOUSEKEEPING_SETTINGS),
  });
}

function verificationEnvironment(settings: VerificationSettings) {
  return {
    verifyChunkBytes: String(settings.chunkBytes),
    verifyConcurrency: String(settings.concurrency),
    verifyBudgetSeconds: String(settings.budgetSeconds),
    verifyCheckpointBytes: String(settings.checkpointBytes),
    verifyAssuredMiBps: String(settings.assuredMiBps),
  };
}

export function housekeepingEnvironment(settings: HousekeepingSettings) {
  return {
    housekeepingModelsPerRun: String(settings.modelsPerRun),
    housekeepingVersionsPerModel: String(settings.versionsPerModel),
  };
}
