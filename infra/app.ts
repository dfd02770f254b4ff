import { App, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { existsSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ApiStack } from "./api-stack";
import { getEnvironmentConfig } from "./config";
import { EventsStack } from "./events-stack";
import { StatefulStack } from "./stateful-stack";

export interface RegistryApp {
  readonly app: App;
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly events: EventsStack;
}

/** Builds one environment's stacks (`cdk synth -c env=<name>`); tests call this directly, without a subprocess. */
export function buildApp(envName: string, app: App = new App()): RegistryApp {
  const config = getEnvironmentConfig(envName);
  // Environment-agnostic unless the config pins an account/region, so synth needs no AWS credentials.
  const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const prefix = `ModelRegistry-${config.name}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, { env, config, description: `Model registry (${config.name}): table, artifacts bucket and event bus` });
  const api = new ApiStack(app, `${prefix}-Api`, {
    env,
    config,
    table: stateful.table,
    artifactsBucket: stateful.artifactsBucket,
    description: `Model registry (${config.name}): HTTP API and functions`,
  });

  const events = new EventsStack(app, `${prefix}-Events`, {
    env,
    config,
    table: stateful.table,
    bus: stateful.bus,
    description: `Model registry (${config.name}): events publisher, dead-letter queue and deployment rules`,
  });

  Tags.of(app).add("project", "model-registry");
  Tags.of(app).add("environment", config.name);
  // cdk-nag 3 is a policy-validation plugin: unacknowledged errors fail synth, every finding lands in the validation report.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, api, events };
}

// Synthesize only when run as the CDK app (cdk.json), not when a test imports buildApp.
const script = process.argv[1];
const isEntryPoint = script !== undefined && existsSync(script) && realpathSync(script) === fileURLToPath(import.meta.url);
if (isEntryPoint) {
  const app = new App();
  buildApp(String(app.node.tryGetContext("env") ?? "dev"), app);
}
