import { App, Tags } from "aws-cdk-lib";
import { existsSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ApiStack } from "./api-stack";
import { getEnvironmentConfig } from "./config";
import { EventsStack } from "./events-stack";
import { HousekeepingStack } from "./housekeeping-stack";
import { MonitoringStack } from "./monitoring-stack";
import { addPolicyChecks } from "./policy-checks";
import { StatefulStack } from "./stateful-stack";
import { VerificationStack } from "./verification-stack";

export interface RegistryApp {
  readonly app: App;
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly verification: VerificationStack;
  readonly events: EventsStack;
  readonly monitoring: MonitoringStack;
  readonly housekeeping: HousekeepingStack;
}

/** Builds one environment's stacks (`cdk synth -c env=<name>`); tests call this directly, without a subprocess. */
export function buildApp(envName: string, app: App = new App()): RegistryApp {
  const config = getEnvironmentConfig(envName);
  // Environment-agnostic unless the config pins an account/region, so synth needs no AWS credentials.
  const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const prefix = `ModelRegistry-${config.name}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    config,
    description: `Model registry (${config.name}): table, artifacts bucket and event bus`,
  });
  const verification = new VerificationStack(app, `${prefix}-Verification`, {
    env,
    config,
    table: stateful.table,
    artifactsBucket: stateful.artifactsBucket,
    alarmTopic: stateful.alarmTopic,
    description: `Model registry (${config.name}): artifact verifier, its queue and dead-letter queue`,
  });
  const api = new ApiStack(app, `${prefix}-Api`, {
    env,
    config,
    table: stateful.table,
    artifactsBucket: stateful.artifactsBucket,
    alarmTopic: stateful.alarmTopic,
    verificationQueue: verification.queue,
    description: `Model registry (${config.name}): HTTP API and functions`,
  });

  const events = new EventsStack(app, `${prefix}-Events`, {
    env,
    config,
    table: stateful.table,
    bus: stateful.bus,
    alarmTopic: stateful.alarmTopic,
    description: `Model registry (${config.name}): events publisher, dead-letter queue and deployment rules`,
  });

  const housekeeping = new HousekeepingStack(app, `${prefix}-Housekeeping`, {
    env,
    config,
    table: stateful.table,
    artifactsBucket: stateful.artifactsBucket,
    alarmTopic: stateful.alarmTopic,
    description: `Model registry (${config.name}): housekeeping, the scheduled function that applies retention rules`,
  });

  const monitoring = new MonitoringStack(app, `${prefix}-Monitoring`, {
    env,
    config,
    alarmTopic: stateful.alarmTopic,
    api: api.api,
    functions: { ...api.functions, publisher: events.publisher, verifier: verification.verifier, housekeeping: housekeeping.housekeeping },
    deadLetters: events.deadLetters,
    description: `Model registry (${config.name}): API alarms and the dashboard`,
  });

  Tags.of(app).add("project", "model-registry");
  Tags.of(app).add("environment", config.name);
  addPolicyChecks(app);
  return { app, stateful, api, verification, events, monitoring, housekeeping };
}

// Synthesize only when run as the CDK app (cdk.json), not when a test imports buildApp.
const script = process.argv[1];
const isEntryPoint = script !== undefined && existsSync(script) && realpathSync(script) === fileURLToPath(import.meta.url);
if (isEntryPoint) {
  const app = new App();
  buildApp(String(app.node.tryGetContext("env") ?? "dev"), app);
}
