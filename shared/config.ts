import * as z from "./zod";
import { ROLES, type RoleBinding } from "./domain/permissions";
import { S3_MAX_OBJECT_BYTES } from "./domain/artifacts";

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
  readonly logLevel: string;
  /** Which verified principals hold which roles (SPEC §6). */
  readonly roleBindings: readonly RoleBinding[];
  readonly uploads: UploadSettings;
}

/** SPEC §4: how long upload URLs live, and the largest artifact a version may declare. */
export interface UploadSettings {
  readonly urlExpirySeconds: number;
  readonly maxArtifactBytes: number;
}

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = { urlExpirySeconds: 900, maxArtifactBytes: S3_MAX_OBJECT_BYTES };

export type NamingPolicyMode = "strict" | "warn";

const environmentSchema = z.object({
  AWS_REGION: z._default(z.string(), "us-east-1"),
  TABLE_NAME: z.string().check(z.minLength(3)),
  BUCKET_NAME: z._default(z.string().check(z.minLength(3)), "model-registry-artifacts"),
  BUS_NAME: z._default(z.string().check(z.minLength(1)), "model-registry"),
  NAMING_POLICY: z._default(z.enum(["strict", "warn"]), "strict"),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  S3_ENDPOINT: z.optional(z.url()),
  EVENTS_ENDPOINT: z.optional(z.url()),
  DLQ_URL: z.optional(z.url()),
  POWERTOOLS_LOG_LEVEL: z._default(z.string(), "INFO"),
  // SigV4 presigned URLs live at most 7 days (and never longer than the signing role's session).
  UPLOAD_URL_EXPIRY_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(60), z.lte(604_800)), DEFAULT_UPLOAD_SETTINGS.urlExpirySeconds),
  MAX_ARTIFACT_BYTES: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(S3_MAX_OBJECT_BYTES)), DEFAULT_UPLOAD_SETTINGS.maxArtifactBytes),
  ROLE_BINDINGS: z.pipe(
    z.pipe(
      z._default(z.string(), "[]"),
      z.transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({ code: "custom", message: "must be JSON", input: text });
          return z.NEVER;
        }
      }),
    ),
    z.array(z.object({ pattern: z.string().check(z.minLength(1)), roles: z.array(z.enum(ROLES)) })),
  ),
});

/** Reads and validates the process environment once; a missing setting fails at cold start, not mid-request. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid registry configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    region: e.AWS_REGION,
    tableName: e.TABLE_NAME,
    bucketName: e.BUCKET_NAME,
    busName: e.BUS_NAME,
    namingPolicy: e.NAMING_POLICY,
    endpoints: { dynamodb: e.DYNAMODB_ENDPOINT, s3: e.S3_ENDPOINT, events: e.EVENTS_ENDPOINT },
    deadLetterQueueUrl: e.DLQ_URL,
    logLevel: e.POWERTOOLS_LOG_LEVEL,
    roleBindings: e.ROLE_BINDINGS,
    uploads: { urlExpirySeconds: e.UPLOAD_URL_EXPIRY_SECONDS, maxArtifactBytes: e.MAX_ARTIFACT_BYTES },
  };
}

/** The environment variables that make a process load `config`: the local server and tests hand these to handlers. */
export function configEnvironment(config: RegistryConfig): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: config.region,
    TABLE_NAME: config.tableName,
    BUCKET_NAME: config.bucketName,
    BUS_NAME: config.busName,
    NAMING_POLICY: config.namingPolicy,
    POWERTOOLS_LOG_LEVEL: config.logLevel,
    ROLE_BINDINGS: JSON.stringify(config.roleBindings),
    UPLOAD_URL_EXPIRY_SECONDS: String(config.uploads.urlExpirySeconds),
    MAX_ARTIFACT_BYTES: String(config.uploads.maxArtifactBytes),
  };
  if (config.endpoints.dynamodb) env.DYNAMODB_ENDPOINT = config.endpoints.dynamodb;
  if (config.endpoints.s3) env.S3_ENDPOINT = config.endpoints.s3;
  if (config.endpoints.events) env.EVENTS_ENDPOINT = config.endpoints.events;
  if (config.deadLetterQueueUrl) env.DLQ_URL = config.deadLetterQueueUrl;
  return env;
}
