import { App, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app";
import { getEnvironmentConfig } from "../../infra/config";
import { ENVIRONMENT_VARIABLES, loadConfig } from "../../shared/config";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
/** Read by Powertools itself, not by loadConfig. */
const POWERTOOLS_VARIABLES = ["POWERTOOLS_SERVICE_NAME"];

/** Each function's environment variables; values CloudFormation resolves at deploy time are objects here. */
function environments(stack: Stack): Record<string, unknown>[] {
  return Object.values(Template.fromStack(stack).findResources("AWS::Lambda::Function")).map((fn) => fn.Properties.Environment.Variables);
}

/** The variables whose value is known at synth time. */
const literals = (variables: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(variables).filter(([, value]) => typeof value === "string")) as Record<string, string>;

describe.each(["dev", "prod"])("the %s functions' environment", (envName) => {
  const config = getEnvironmentConfig(envName);
  // Bundling is skipped: only the functions' environment is under test.
  const app = buildApp(envName, new App({ context: { ...cdkContext, env: envName, "aws:cdk:bundling-stacks": [] } }));
  const api = environments(app.api);
  const all = [...api, ...environments(app.events)];

  it("names only variables loadConfig reads, so a misspelt one cannot leave a setting at its default", () => {
    const known = new Set<string>([...Object.values(ENVIRONMENT_VARIABLES), ...POWERTOOLS_VARIABLES]);

    const unknown = all.flatMap((variables) => Object.keys(variables).filter((name) => !known.has(name)));

    expect(all.length).toBeGreaterThan(1);
    expect(unknown).toEqual([]);
    for (const variables of all) expect(variables).toHaveProperty(ENVIRONMENT_VARIABLES.tableName);
  });

  it("hands the API functions the settings of the environment's config, as loadConfig reads them", () => {
    for (const variables of api) {
      const read = loadConfig({ ...literals(variables), [ENVIRONMENT_VARIABLES.tableName]: "deploy-time-table" });

      expect(read.namingPolicy).toBe(config.namingPolicy);
      expect(read.logLevel).toBe(config.logLevel);
      expect(read.busName).toBe(`model-registry-${envName}`);
      expect(read.uploads).toEqual({
        urlExpirySeconds: config.artifacts.uploadUrlExpirySeconds,
        maxArtifactBytes: config.artifacts.maxArtifactBytes,
      });
    }
  });
});
