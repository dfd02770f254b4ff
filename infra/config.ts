import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { NamingPolicyMode } from "../shared/config";
import { ROLES, type Role } from "../shared/domain/permissions";
import { S3_MAX_OBJECT_BYTES } from "../shared/domain/artifacts";
import type { AssignedStage } from "../shared/schemas/version";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Env = (typeof ENVIRONMENTS)[number];

/** Everything that differs between environments; stacks read this and nothing else. */
export interface EnvironmentConfig {
  readonly name: Env;
  /** Optional: stacks stay environment-agnostic (synth works offline) unless an account/region is pinned here. */
  readonly account?: string;
  readonly region?: string;
  /** Table and buckets: RETAIN where losing data is not an option. */
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly logRetention: RetentionDays;
  readonly logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR";
  readonly namingPolicy: NamingPolicyMode;
  /**
   * Which principals of the deploying account hold which roles. The API stack anchors each on that
   * account (infra/role-bindings.ts) and hands them to the handlers as ROLE_BINDINGS. Placeholders
   * until each account names its roles (docs/deploy.md, Role bindings).
   */
  readonly roleBindings: readonly AccountRoleBinding[];
  /** Default-stage throttling: protects the table from a runaway CI loop. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly alarms: AlarmsConfig;
  /** docs/events.md: the bus's archive, the outbox publisher's stream settings, and the rules that start deployments. */
  readonly events: EventsConfig;
  readonly artifacts: ArtifactsConfig;
  readonly housekeeping: HousekeepingConfig;
}

/** docs/operations.md, Housekeeping: when the function that applies models' retention rules runs, and how much one run does. */
export interface HousekeepingConfig {
  /** Off: the function is deployed, its schedule disabled (no model's rules are applied until an operator turns it on). */
  readonly enabled: boolean;
  readonly every: Duration;
  readonly modelsPerRun: number;
  readonly versionsPerModel: number;
}

/**
 * "These principals of the deploying account hold these roles": a glob over the caller's verified
 * ARN after `arn:<partition>:<service>::<account>:`. The account is never part of the pattern, so
 * no binding can reach another account's principals.
 */
export interface AccountRoleBinding {
  /** `sts` for assumed roles (`assumed-role/<role>/<session>`) and federated users, `iam` for IAM users and the root. */
  readonly service: "sts" | "iam";
  /** `*` is any run of characters: `assumed-role/deploy-bot/*` is every session of the role deploy-bot. */
  readonly principal: string;
  readonly roles: readonly Role[];
}

/** docs/operations.md, Alarms: every alarm notifies the environment's SNS topic. */
export interface AlarmsConfig {
  /** Lambda `Errors` sum over one period that raises a function's alarm. */
  readonly functionErrors: number;
  /** API answers that are 5xx, in percent of all requests over one period, that raise the alarm. */
  readonly serverErrorRatePercent: number;
  /** Lambda `Throttles`, summed over the registry's functions for one period, that raise the alarm. */
  readonly throttles: number;
  readonly period: Duration;
  /** Subscribed to the alarm topic when set (the address confirms by mail once). None by default: subscribe on-call tooling to the topic instead. */
  readonly email?: string;
}

/** docs/artifacts.md: upload URLs and the artifacts bucket. */
export interface ArtifactsConfig {
  /** How long presigned upload URLs live (UPLOAD_URL_EXPIRY_SECONDS); long uploads ask for fresh part URLs. */
  readonly uploadUrlExpirySeconds: number;
  /** The largest artifact a version may declare (MAX_ARTIFACT_BYTES), at most S3's 5 TiB. */
  readonly maxArtifactBytes: number;
  /** Browser origins allowed to PUT to presigned URLs (bucket CORS). Empty, the default: no CORS, clients are CI runners and training jobs. */
  readonly browserUploadOrigins: readonly string[];
}

export interface EventsConfig {
  /** How long the bus's archive keeps every registry event for replay. */
  readonly archiveRetention: Duration;
  /** Stream records per publisher invocation, and how often a failing batch is retried (bisected) before its pointer goes to the DLQ. */
  readonly publisherBatchSize: number;
  readonly publisherRetryAttempts: number;
  /** Stream records older than this when the publisher reads them raise the alarm: announcements are falling behind. */
  readonly maxIteratorAge: Duration;
  /** Empty by default: a target that does not exist would send every matching event to the DLQ (docs/deploy.md, Deployment triggers). */
  readonly deploymentTriggers: readonly DeploymentTriggerConfig[];
  /** A queue receiving the events of smoke-test models, for `npm run smoke -- --events-queue` (docs/deploy.md, Smoke test). */
  readonly smokeEvents: boolean;
}

/** "When `model` enters `stage`, start the state machine `stateMachineName` (in this account and region); the state machine must exist." */
export interface DeploymentTriggerConfig {
  /** Construct id: unique per environment, stable (renaming replaces the rule). */
  readonly id: string;
  readonly model: string;
  readonly stage: AssignedStage;
  readonly stateMachineName: string;
}

// Placeholder role names: CI runners assume `*-ci-*` roles, release pipelines `*-release-*`, reviewers who approve
// promotions `*-approver-*`, operators ModelRegistryAdmin.
const ci = (roles: readonly Role[]): AccountRoleBinding => ({ service: "sts", principal: "assumed-role/*-ci-*/*", roles });
const release = (roles: readonly Role[]): AccountRoleBinding => ({ service: "sts", principal: "assumed-role/*-release-*/*", roles });
const approvers = (roles: readonly Role[]): AccountRoleBinding => ({ service: "sts", principal: "assumed-role/*-approver-*/*", roles });
const admin = (roles: readonly Role[]): AccountRoleBinding => ({ service: "sts", principal: "assumed-role/ModelRegistryAdmin/*", roles });

export const environments: Record<Env, EnvironmentConfig> = {
  dev: {
    name: "dev",
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: "DEBUG",
    namingPolicy: "warn",
    // dev: every principal of the deploying account (roles, users) holds every role.
    roleBindings: [
      { service: "sts", principal: "*", roles: ROLES },
      { service: "iam", principal: "*", roles: ROLES },
    ],
    throttle: { rateLimit: 50, burstLimit: 100 },
    alarms: { functionErrors: 10, serverErrorRatePercent: 10, throttles: 10, period: Duration.minutes(5) },
    artifacts: { uploadUrlExpirySeconds: 900, maxArtifactBytes: S3_MAX_OBJECT_BYTES, browserUploadOrigins: [] },
    housekeeping: { enabled: true, every: Duration.hours(1), modelsPerRun: 25, versionsPerModel: 20 },
    events: {
      archiveRetention: Duration.days(30),
      publisherBatchSize: 100,
      publisherRetryAttempts: 10,
      maxIteratorAge: Duration.minutes(15),
      deploymentTriggers: [],
      smokeEvents: true,
    },
  },
  staging: {
    name: "staging",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: "INFO",
    namingPolicy: "strict",
    roleBindings: [ci(["reader", "publisher", "promoter"]), approvers(["reader", "approver"]), admin(ROLES)],
    throttle: { rateLimit: 100, burstLimit: 200 },
    alarms: { functionErrors: 5, serverErrorRatePercent: 5, throttles: 5, period: Duration.minutes(5) },
    artifacts: { uploadUrlExpirySeconds: 900, maxArtifactBytes: S3_MAX_OBJECT_BYTES, browserUploadOrigins: [] },
    housekeeping: { enabled: true, every: Duration.hours(6), modelsPerRun: 25, versionsPerModel: 20 },
    events: {
      archiveRetention: Duration.days(90),
      publisherBatchSize: 100,
      publisherRetryAttempts: 10,
      maxIteratorAge: Duration.minutes(5),
      deploymentTriggers: [],
      smokeEvents: true,
    },
  },
  prod: {
    name: "prod",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.SIX_MONTHS,
    logLevel: "INFO",
    namingPolicy: "strict",
    roleBindings: [ci(["reader", "publisher"]), release(["reader", "promoter"]), approvers(["reader", "approver"]), admin(ROLES)],
    throttle: { rateLimit: 200, burstLimit: 400 },
    alarms: { functionErrors: 1, serverErrorRatePercent: 1, throttles: 1, period: Duration.minutes(5) },
    artifacts: { uploadUrlExpirySeconds: 900, maxArtifactBytes: S3_MAX_OBJECT_BYTES, browserUploadOrigins: [] },
    // Off until the environment's owners have set retention rules and checked their previews.
    housekeeping: { enabled: false, every: Duration.days(1), modelsPerRun: 25, versionsPerModel: 20 },
    events: {
      archiveRetention: Duration.days(365),
      publisherBatchSize: 100,
      publisherRetryAttempts: 10,
      maxIteratorAge: Duration.minutes(5),
      deploymentTriggers: [],
      smokeEvents: true,
    },
  },
};

const isEnv = (name: string): name is Env => (ENVIRONMENTS as readonly string[]).includes(name);

/** The config for `-c env=<name>`; an unknown name fails synth with the list of valid ones. */
export function getEnvironmentConfig(name: string): EnvironmentConfig {
  if (!isEnv(name)) {
    throw new Error(`Unknown environment "${name}": expected one of ${ENVIRONMENTS.join(", ")} (cdk synth -c env=<name>)`);
  }
  return environments[name];
}
