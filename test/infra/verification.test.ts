import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app";
import { VERIFICATION_MAX_RECEIVES } from "../../infra/verification-stack";
import { VERIFIER_FUNCTION } from "../../shared/routes";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The logical id of the one resource of `type` matching `props`. */
function idOf(template: Template, type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(ids, type).toHaveLength(1);
  return ids[0] as string;
}

/** Every action the role of the verifier may take. */
function verifierActions(template: Template): string[] {
  const policies = Object.values(template.findResources("AWS::IAM::Policy"));
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
    .flatMap((statement) => [statement.Action].flat());
}

describe.each(["dev", "prod"])("%s artifact verification", (envName) => {
  let verification: Template;
  beforeAll(() => {
    const outdir = mkdtempSync(join(tmpdir(), `registry-cdk-verification-${envName}-`));
    outdirs.push(outdir);
    // Synthesizing runs cdk-nag and cfn-guard's checks: an unacknowledged finding throws here.
    verification = Template.fromStack(buildApp(envName, new App({ outdir, context: { ...cdkContext, env: envName } })).verification);
  }, 120_000);

  it("feeds the verifier one task at a time from an encrypted queue whose tasks go to a dead-letter queue after 5 receives", () => {
    const deadLetters = idOf(verification, "AWS::SQS::Queue", { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    const queue = idOf(verification, "AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * VERIFIER_FUNCTION.timeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [deadLetters, "Arn"] }, maxReceiveCount: VERIFICATION_MAX_RECEIVES },
    });
    verification.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [queue, "Arn"] },
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("gives the verifier a whole vCPU and 15 minutes, the queue to send follow-ups to, and no upload grant: it neither writes nor aborts uploads", () => {
    verification.hasResourceProperties("AWS::Lambda::Function", {
      Description: VERIFIER_FUNCTION.description,
      MemorySize: VERIFIER_FUNCTION.memoryMb,
      Timeout: VERIFIER_FUNCTION.timeoutSeconds,
      Environment: { Variables: Match.objectLike({ VERIFICATION_QUEUE_URL: Match.anyValue(), BUCKET_NAME: Match.anyValue() }) },
    });
    const actions = verifierActions(verification);
    expect(actions).toEqual(
      expect.arrayContaining(["s3:GetObject", "s3:DeleteObject", "dynamodb:UpdateItem", "dynamodb:Query", "sqs:SendMessage"]),
    );
    expect(
      actions.filter((action) => ["s3:PutObject", "s3:AbortMultipartUpload", "dynamodb:Scan"].includes(action) || action.endsWith(":*")),
    ).toEqual([]);
  });

  it("raises an alarm as soon as one task is in the dead-letter queue", () => {
    verification.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [Match.anyValue()],
    });
  });

  it.runIf(envName === "prod")("retains the prod queues", () => {
    expect(Object.keys(verification.findResources("AWS::SQS::Queue", { DeletionPolicy: "Retain" }))).toHaveLength(2);
  });
});
