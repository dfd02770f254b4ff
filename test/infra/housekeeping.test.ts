import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app";
import { environments } from "../../infra/config";
import { HOUSEKEEPING_FUNCTION } from "../../shared/routes";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Every action the stack's roles may take, each with the resources it is granted on. */
function grants(template: Template): { action: string; resource: unknown }[] {
  const policies = Object.values(template.findResources("AWS::IAM::Policy"));
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    .flatMap((statement) => [statement.Action].flat().map((action) => ({ action, resource: statement.Resource })));
}

describe.each(["dev", "prod"] as const)("%s housekeeping", (envName) => {
  let housekeeping: Template;
  beforeAll(() => {
    const outdir = mkdtempSync(join(tmpdir(), `registry-cdk-housekeeping-${envName}-`));
    outdirs.push(outdir);
    // Synthesizing runs cdk-nag and cfn-guard's checks: an unacknowledged finding throws here.
    housekeeping = Template.fromStack(buildApp(envName, new App({ outdir, context: { ...cdkContext, env: envName } })).housekeeping);
  }, 120_000);

  it("invokes the function on the environment's schedule, with EventBridge's retries", () => {
    const hours = environments[envName].housekeeping.every.toHours();
    housekeeping.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: hours === 24 ? "rate(1 day)" : `rate(${hours} hour${hours === 1 ? "" : "s"})`,
      Targets: [Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) })],
    });
    housekeeping.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
    });
  });

  it.runIf(envName === "dev")("runs in dev", () => {
    housekeeping.hasResourceProperties("AWS::Events::Rule", { State: "ENABLED" });
  });

  it.runIf(envName === "prod")("is off in prod until the config turns it on", () => {
    housekeeping.hasResourceProperties("AWS::Events::Rule", { State: "DISABLED" });
  });

  it("gives the function its run's bounds and its timeout", () => {
    const { modelsPerRun, versionsPerModel } = environments[envName].housekeeping;
    housekeeping.hasResourceProperties("AWS::Lambda::Function", {
      Description: HOUSEKEEPING_FUNCTION.description,
      Timeout: HOUSEKEEPING_FUNCTION.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          HOUSEKEEPING_MODELS_PER_RUN: String(modelsPerRun),
          HOUSEKEEPING_VERSIONS_PER_MODEL: String(versionsPerModel),
          TABLE_NAME: Match.anyValue(),
          BUCKET_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it("may delete versions and their objects, and nothing more: no reads or writes of bytes, no Scan, no wildcard action", () => {
    const actions = grants(housekeeping).map((grant) => grant.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
      ]),
    );
    const forbidden = actions.filter(
      (action) =>
        ["s3:GetObject", "s3:PutObject", "dynamodb:Scan", "sqs:SendMessage", "events:PutEvents"].includes(action) || action.endsWith(":*"),
    );
    expect(forbidden).toEqual([]);
    expect(grants(housekeeping).filter((grant) => grant.action.startsWith("dynamodb:") && grant.resource === "*")).toEqual([]);
  });

  it("raises an alarm on the function's errors, notifying on-call", () => {
    housekeeping.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Errors",
      Namespace: "AWS/Lambda",
      Threshold: environments[envName].alarms.functionErrors,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [Match.anyValue()],
      OKActions: [Match.anyValue()],
    });
  });
});
