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
  it.each([
    [{}, /TABLE_NAME: required/],
    [{ TABLE_NAME: "ab" }, /TABLE_NAME: at least 3 characters/],
    [{ TABLE_NAME: "registry", UPLOAD_URL_EXPIRY_SECONDS: "" }, /UPLOAD_URL_EXPIRY_SECONDS: a number/],
    [{ TABLE_NAME: "registry", UPLOAD_URL_EXPIRY_SECONDS: "59" }, /UPLOAD_URL_EXPIRY_SECONDS: at least 60/],
    [{ TABLE_NAME: "registry", VERIFY_CONCURRENCY: "2.5" }, /VERIFY_CONCURRENCY: a whole number/],
    [{ TABLE_NAME: "registry", VERIFY_BUDGET_SECONDS: "Infinity" }, /VERIFY_BUDGET_SECONDS: a number/],
    [{ TABLE_NAME: "registry", HOUSEKEEPING_MODELS_PER_RUN: "1001" }, /HOUSEKEEPING_MODELS_PER_RUN: at most 1000/],
    [{ TABLE_NAME: "registry", POWERTOOLS_TRACE_ENABLED: "maybe" }, /POWERTOOLS_TRACE_ENABLED: true or false/],
    [{ TABLE_NAME: "registry", DYNAMODB_ENDPOINT: "not a url" }, /DYNAMODB_ENDPOINT: an absolute URL/],
    [{ TABLE_NAME: "registry", NAMING_POLICY: "lax" }, /NAMING_POLICY: one of strict, warn/],
    [{ TABLE_NAME: "registry", ROLE_BINDINGS: "[" }, /ROLE_BINDINGS: must be JSON/],
    [{ TABLE_NAME: "registry", ROLE_BINDINGS: '{"pattern":"*","roles":["reader"]}' }, /ROLE_BINDINGS: a JSON array/],
    [{ TABLE_NAME: "registry", ROLE_BINDINGS: "[null]" }, /ROLE_BINDINGS\.0: an object/],
    [{ TABLE_NAME: "registry", ROLE_BINDINGS: '[{"__proto__":{"pattern":"*"},"roles":["reader"]}]' }, /ROLE_BINDINGS\.0\.pattern: /],
    [{ TABLE_NAME: "registry", ROLE_BINDINGS: '[{"pattern":"*","roles":"reader"}]' }, /ROLE_BINDINGS\.0\.roles: an array/],
  ])("refuses %j, naming the variable and what it must be", (env, refusal) => {
    expect(() => loadConfig(env)).toThrow(refusal);
  });

  it("names every refused variable at once", () => {
    expect(() => loadConfig({ VERIFY_CONCURRENCY: "0", S3_ENDPOINT: "::" })).toThrow(
      /^Invalid registry configuration: TABLE_NAME: required; S3_ENDPOINT: an absolute URL.*; VERIFY_CONCURRENCY: at least 1$/,
    );
  });

  it("reads a flag in any of its spellings and case, and numbers as Number does", () => {
    const read = (env: Record<string, string>) => loadConfig({ TABLE_NAME: "registry", ...env });
    expect(["TRUE", "1", "yes", "On"].map((tracing) => read({ POWERTOOLS_TRACE_ENABLED: tracing }).tracing)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(["false", "0", "NO", "off"].map((tracing) => read({ POWERTOOLS_TRACE_ENABLED: tracing }).tracing)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(read({ VERIFY_CONCURRENCY: " 16 ", VERIFY_ASSURED_MIBPS: "1e2" }).verification).toMatchObject({
      concurrency: 16,
      assuredMiBps: 100,
    });
  });
});

describe("the process's logger", () => {
  it("logs at the configured level", () => {
    expect(createLogger({ logLevel: "ERROR" }).getLevelName()).toBe("ERROR");
    expect(createLogger({ logLevel: "DEBUG" }).getLevelName()).toBe("DEBUG");
  });
});
