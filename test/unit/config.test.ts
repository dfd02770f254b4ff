import { describe, expect, it } from "vitest";
import { configEnvironment, environmentOf, loadConfig, type RegistryConfig } from "../../shared/config";
import { createLogger } from "../../shared/logger";

const config: RegistryConfig = {
  region: "eu-west-1",
  tableName: "registry",
  bucketName: "artifacts",
  busName: "bus",
  namingPolicy: "warn",
  endpoints: { dynamodb: "http://127.0.0.1:8000", s3: "http://127.0.0.1:4569", events: "http://127.0.0.1:4010" },
  deadLetterQueueUrl: "http://127.0.0.1:4010/queue/dead-letters",
  logLevel: "DEBUG",
  tracing: true,
  roleBindings: [{ pattern: "arn:aws:iam::*", roles: ["reader"] }],
  uploads: { urlExpirySeconds: 600, maxArtifactBytes: 1024 },
  verificationQueueUrl: "http://127.0.0.1:4010/000000000000/verification",
  verification: { chunkBytes: 1_048_576, concurrency: 3, budgetSeconds: 0.5, checkpointBytes: 0, assuredMiBps: 12.5 },
  housekeeping: { modelsPerRun: 7, versionsPerModel: 3 },
};

describe("the registry's configuration", () => {
  it("reads back from its environment variables every setting it was written with", () => {
    expect(loadConfig(configEnvironment(config))).toEqual(config);
  });

  it("leaves out the settings given no value", () => {
    expect(environmentOf({ tableName: "registry", deadLetterQueueUrl: undefined })).toEqual({ TABLE_NAME: "registry" });
  });

  it("refuses a log level Powertools does not know, naming the variable, and takes the known ones in any case", () => {
    expect(() => loadConfig({ TABLE_NAME: "registry", POWERTOOLS_LOG_LEVEL: "verbose" })).toThrow(/POWERTOOLS_LOG_LEVEL: /);
    expect(loadConfig({ TABLE_NAME: "registry", POWERTOOLS_LOG_LEVEL: "warn" }).logLevel).toBe("WARN");
    expect(loadConfig({ TABLE_NAME: "registry" }).logLevel).toBe("INFO");
  });

  it("names the variable and the place inside it in a refusal", () => {
    expect(() => loadConfig({ TABLE_NAME: "registry", ROLE_BINDINGS: '[{"pattern":"*","roles":["overlord"]}]' })).toThrow(
      /ROLE_BINDINGS\.0\.roles\.0: /,
    );
  });
});

describe("the process's logger", () => {
  it("logs at the configured level", () => {
    expect(createLogger({ logLevel: "ERROR" }).getLevelName()).toBe("ERROR");
    expect(createLogger({ logLevel: "DEBUG" }).getLevelName()).toBe("DEBUG");
  });
});
