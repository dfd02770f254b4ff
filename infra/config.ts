import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { NamingPolicyMode } from "../shared/config";
import type { RoleBinding } from "../shared/domain/permissions";

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
  /** SPEC §6: verified caller ARN pattern → roles; handed to the handlers as ROLE_BINDINGS. Placeholders until each account names its roles. */
  readonly roleBindings: readonly RoleBinding[];
  /** Default-stage throttling: protects the table from a runaway CI loop. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly alarms: {
    /** Lambda `Errors` sum over one period that raises the alarm. */
    readonly functionErrors: number;
    readonly period: Duration;
  };
}

// Placeholder role names: CI runners assume `*-ci-*` roles, release pipelines `*-release-*`, operators ModelRegistryAdmin.
const ci = "arn:aws:sts::*:assumed-role/*-ci-*/*";
const release = "arn:aws:sts::*:assumed-role/*-release-*/*";
const admin = "arn:aws:sts::*:assumed-role/ModelRegistryAdmin/*";

export const environments: Record<Env, EnvironmentConfig> = {
  dev: {
    name: "dev",
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: "DEBUG",
    namingPolicy: "warn",
    // dev: every principal of the account that may call the API holds every role.
    roleBindings: [{ pattern: "arn:aws:*", roles: ["reader", "publisher", "promoter", "admin"] }],
    throttle: { rateLimit: 50, burstLimit: 100 },
    alarms: { functionErrors: 10, period: Duration.minutes(5) },
  },
  staging: {
    name: "staging",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: "INFO",
    namingPolicy: "strict",
    roleBindings: [
      { pattern: ci, roles: ["reader", "publisher", "promoter"] },
      { pattern: admin, roles: ["reader", "publisher", "promoter", "admin"] },
    ],
    throttle: { rateLimit: 100, burstLimit: 200 },
    alarms: { functionErrors: 5, period: Duration.minutes(5) },
  },
  prod: {
    name: "prod",
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.SIX_MONTHS,
    logLevel: "INFO",
    namingPolicy: "strict",
    roleBindings: [
      { pattern: ci, roles: ["reader", "publisher"] },
      { pattern: release, roles: ["reader", "promoter"] },
      { pattern: admin, roles: ["reader", "publisher", "promoter", "admin"] },
    ],
    throttle: { rateLimit: 200, burstLimit: 400 },
    alarms: { functionErrors: 1, period: Duration.minutes(5) },
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
