import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app";
import { getEnvironmentConfig } from "../../infra/config";
import { OUTBOX_STREAM_FILTER } from "../../shared/events/model-events";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const SYNTH_TIMEOUT = 120_000;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The events dead-letter queue: the one queue kept 14 days. */
const DEAD_LETTERS = { MessageRetentionPeriod: 14 * 24 * 3600 };

/** The logical id a template gives the one resource of `type` matching `props`. */
function idOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(ids, type).toHaveLength(1);
  return ids[0] as string;
}

describe.each(["dev", "prod"])("%s events", (envName) => {
  const config = getEnvironmentConfig(envName);
  let stateful: Template;
  let events: Template;
  beforeAll(() => {
    const outdir = mkdtempSync(join(tmpdir(), `registry-cdk-events-${envName}-`));
    outdirs.push(outdir);
    const built = buildApp(envName, new App({ outdir, context: { ...cdkContext, env: envName } }));
    stateful = Template.fromStack(built.stateful);
    events = Template.fromStack(built.events);
  }, SYNTH_TIMEOUT);

  it("keeps the bus model-registry-<env> in the stateful stack, with an archive of every registry event", () => {
    const busId = idOf(stateful, "AWS::Events::EventBus", { Name: `model-registry-${envName}` });
    stateful.hasResourceProperties("AWS::Events::Archive", {
      SourceArn: { "Fn::GetAtt": [busId, "Arn"] },
      EventPattern: { source: ["model-registry"] },
      RetentionDays: config.events.archiveRetention.toDays(),
    });
  });

  it.runIf(envName === "prod")("retains the prod bus, its archive and the dead-letter queue", () => {
    for (const type of ["AWS::Events::EventBus", "AWS::Events::Archive"])
      stateful.hasResource(type, { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    events.hasResource("AWS::SQS::Queue", {
      Properties: Match.objectLike(DEAD_LETTERS),
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });

  it("feeds the publisher only new history items from the stream, from the trim horizon, with partial batch failures and an on-failure DLQ", () => {
    const queueId = idOf(events, "AWS::SQS::Queue", DEAD_LETTERS);
    events.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: Match.anyValue(),
      StartingPosition: "TRIM_HORIZON",
      BatchSize: config.events.publisherBatchSize,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      MaximumRetryAttempts: config.events.publisherRetryAttempts,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ["INSERT"], dynamodb: { NewImage: { entity: { S: ["history"] } } } }) }],
      },
    });
    expect(OUTBOX_STREAM_FILTER).toEqual({ eventName: ["INSERT"], dynamodb: { NewImage: { entity: { S: ["history"] } } } });
  });

  it("encrypts the dead-letter queue and refuses it anything but TLS", () => {
    const queueId = idOf(events, "AWS::SQS::Queue", { SqsManagedSseEnabled: true, ...DEAD_LETTERS });
    events.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]),
      },
    });
  });

  it("configures the publisher with the bus and the DLQ, and lets it put events on that bus and nothing else", () => {
    const queueId = idOf(events, "AWS::SQS::Queue", DEAD_LETTERS);
    const fnId = idOf(events, "AWS::Lambda::Function", {
      Architectures: ["arm64"],
      Runtime: "nodejs22.x",
      Environment: { Variables: Match.objectLike({ BUS_NAME: Match.anyValue(), DLQ_URL: { Ref: queueId }, TABLE_NAME: Match.anyValue() }) },
    });
    const roleId = events.toJSON().Resources[fnId].Properties.Role["Fn::GetAtt"][0];
    const statements = Object.values(events.findResources("AWS::IAM::Policy"))
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const putEvents = statements.filter((s) => [s.Action].flat().includes("events:PutEvents"));
    expect(putEvents).toHaveLength(1);
    expect(JSON.stringify(putEvents[0]?.Resource)).toMatch(/Bus.*Arn/);
    expect(statements.find((s) => [s.Action].flat().includes("sqs:SendMessage"))?.Resource).toEqual({ "Fn::GetAtt": [queueId, "Arn"] });
    expect(
      statements
        .flatMap((s) => [s.Action].flat())
        .filter((action) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|Scan|Query)$/.test(action) || action.endsWith(":*")),
    ).toEqual([]);
  });

  it("alarms on any dead letter, on publisher errors and on a publisher falling behind the stream", () => {
    events.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    events.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Threshold: config.alarms.functionErrors,
    });
    events.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "IteratorAge",
      Threshold: config.events.maxIteratorAge.toMilliseconds(),
    });
  });

  it("starts each configured deployment when its model enters its stage, with retries and the DLQ", () => {
    const queueId = idOf(events, "AWS::SQS::Queue", DEAD_LETTERS);
    events.resourceCountIs("AWS::Events::Rule", config.events.deploymentTriggers.length + (config.events.smokeEvents ? 1 : 0));
    for (const trigger of config.events.deploymentTriggers) {
      events.hasResourceProperties("AWS::Events::Rule", {
        EventBusName: Match.anyValue(),
        EventPattern: {
          source: ["model-registry"],
          "detail-type": ["Model Version Stage Changed"],
          detail: { model: [trigger.model], toStage: [trigger.stage] },
        },
        Targets: [
          Match.objectLike({
            Arn: { "Fn::Join": ["", Match.arrayWith([`:stateMachine:${trigger.stateMachineName}`])] },
            DeadLetterConfig: { Arn: { "Fn::GetAtt": [queueId, "Arn"] } },
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          }),
        ],
      });
    }
  });

  it.runIf(config.events.smokeEvents)(
    "sends smoke-test models' events, and only those, to an encrypted TLS-only queue the smoke test reads",
    () => {
      const queueId = idOf(events, "AWS::SQS::Queue", { SqsManagedSseEnabled: true, MessageRetentionPeriod: 15 * 60 });
      events.hasResource("AWS::SQS::Queue", { Properties: { MessageRetentionPeriod: 15 * 60 }, DeletionPolicy: "Delete" });
      events.hasResourceProperties("AWS::Events::Rule", {
        EventPattern: { source: ["model-registry"], detail: { model: [{ prefix: "smoke_probe_" }] } },
        Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [queueId, "Arn"] } })],
      });
      events.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            Match.objectLike({
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: Match.arrayWith(["sqs:SendMessage"]),
            }),
          ]),
        },
      });
      events.hasOutput("SmokeEventsQueueUrl", { Value: { Ref: queueId } });
    },
  );
});
