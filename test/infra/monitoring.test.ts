import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type RegistryApp } from "../../infra/app";
import { environments, getEnvironmentConfig, type EnvironmentConfig } from "../../infra/config";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const SYNTH_TIMEOUT = 180_000;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** One environment's stacks with `config` in place of its own; functions not bundled, only templates are checked. */
function build(envName: "dev" | "prod", config: EnvironmentConfig = getEnvironmentConfig(envName)): RegistryApp {
  const outdir = mkdtempSync(join(tmpdir(), `registry-monitoring-${envName}-`));
  outdirs.push(outdir);
  const saved = environments[envName];
  (environments as Record<string, EnvironmentConfig>)[envName] = config;
  try {
    return buildApp(envName, new App({ outdir, context: { ...cdkContext, env: envName, "aws:cdk:bundling-stacks": [] } }));
  } finally {
    (environments as Record<string, EnvironmentConfig>)[envName] = saved;
  }
}

describe.each(["dev", "prod"] as const)("%s alarms and outputs", (envName) => {
  const config = getEnvironmentConfig(envName);
  let built: RegistryApp;
  let templates: Record<"stateful" | "api" | "events" | "monitoring", Template>;
  beforeAll(() => {
    built = build(envName);
    templates = {
      stateful: Template.fromStack(built.stateful),
      api: Template.fromStack(built.api),
      events: Template.fromStack(built.events),
      monitoring: Template.fromStack(built.monitoring),
    };
  }, SYNTH_TIMEOUT);

  it("keeps one alarm topic per environment, encrypted with a rotated key CloudWatch may use, TLS only, with no subscription by default", () => {
    const keyId = Object.keys(
      templates.stateful.findResources("AWS::KMS::Key", { Properties: Match.objectLike({ EnableKeyRotation: true }) }),
    );
    expect(keyId).toHaveLength(1);
    templates.stateful.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"] }),
        ]),
      },
    });
    templates.stateful.resourceCountIs("AWS::SNS::Topic", 1);
    templates.stateful.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: { "Fn::GetAtt": [keyId[0], "Arn"] } });
    templates.stateful.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]),
      },
    });
    templates.stateful.resourceCountIs("AWS::SNS::Subscription", config.alarms.email ? 1 : 0);
  });

  it("notifies the topic from every alarm of every stack when it fires and again when it clears", () => {
    const alarms = Object.values(templates).flatMap((template) => Object.values(template.findResources("AWS::CloudWatch::Alarm")));
    expect(alarms.length).toBeGreaterThanOrEqual(10);
    for (const alarm of alarms) {
      expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/AlarmTopic/);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
  });

  it("alarms on the API's 5xx rate and on throttled functions at the configured thresholds", () => {
    templates.monitoring.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Threshold: config.alarms.serverErrorRatePercent,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp("100 \\* FILL\\(errors, 0\\) / requests") })]),
    });
    const throttles = templates.monitoring.findResources("AWS::CloudWatch::Alarm", {
      Properties: { Threshold: config.alarms.throttles, AlarmDescription: Match.stringLikeRegexp("throttled") },
    });
    const summed = Object.values(throttles)[0]?.Properties.Metrics.filter(
      (metric: { MetricStat?: { Metric: { MetricName: string } } }) => metric.MetricStat?.Metric.MetricName === "Throttles",
    );
    // The API's functions, the publisher, the verifier and housekeeping.
    expect(summed).toHaveLength(Object.keys(built.api.functions).length + 3);
  });

  it("draws the registry's dashboard: requests, latency, 4xx/5xx, function errors, events published and failed, DLQ depth", () => {
    const [dashboard] = Object.values(templates.monitoring.findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      "Requests",
      "Latency",
      "4xx and 5xx",
      "Function errors",
      "Function throttles",
      "Events published",
      "Events failed",
      "Dead-letter queue depth",
    ])
      expect(body).toContain(title);
    for (const metric of [
      "Count",
      "Latency",
      "4xx",
      "5xx",
      "Errors",
      "MatchedEvents",
      "NumberOfMessagesSent",
      "ApproximateNumberOfMessagesVisible",
    ])
      expect(body).toContain(metric);
  });

  it("outputs what consumers and operators need: API URL, id and ARN, table, bucket, bus, topic, DLQ, dashboard", () => {
    for (const name of ["ApiUrl", "ApiId", "ExecuteApiArn"]) templates.api.hasOutput(name, {});
    for (const name of ["TableName", "ArtifactsBucketName", "EventBusName", "EventBusArn", "AlarmTopicArn"])
      templates.stateful.hasOutput(name, {});
    templates.events.hasOutput("DeadLetterQueueUrl", {});
    for (const name of ["DashboardName", "DashboardUrl"]) templates.monitoring.hasOutput(name, {});
    templates.api.hasOutput("ExecuteApiArn", { Value: { "Fn::Join": ["", Match.arrayWith([":execute-api:", "/*/*/*"])] } });
  });

  it("ships no deployment trigger: a placeholder target would send every matching event to the DLQ", () => {
    expect(config.events.deploymentTriggers).toEqual([]);
    // The one rule, where configured, sends smoke-test models' events to the smoke test's queue.
    templates.events.resourceCountIs("AWS::Events::Rule", config.events.smokeEvents ? 1 : 0);
  });
});

describe("an environment that configures an alarm email and a deployment trigger", () => {
  it(
    "subscribes the address to the alarm topic and adds the rule",
    () => {
      const dev = getEnvironmentConfig("dev");
      const config: EnvironmentConfig = {
        ...dev,
        alarms: { ...dev.alarms, email: "ml-platform-oncall@example.com" },
        events: {
          ...dev.events,
          deploymentTriggers: [
            { id: "FraudDetectorStaging", model: "fraud_detector", stage: "Staging", stateMachineName: "fraud-detector-deploy-dev" },
          ],
        },
      };

      const built = build("dev", config);

      Template.fromStack(built.stateful).hasResourceProperties("AWS::SNS::Subscription", {
        Protocol: "email",
        Endpoint: "ml-platform-oncall@example.com",
      });
      Template.fromStack(built.events).hasResourceProperties("AWS::Events::Rule", {
        EventPattern: {
          source: ["model-registry"],
          "detail-type": ["Model Version Stage Changed"],
          detail: { model: ["fraud_detector"], toStage: ["Staging"] },
        },
        Targets: [Match.objectLike({ Arn: { "Fn::Join": ["", Match.arrayWith([":stateMachine:fraud-detector-deploy-dev"])] } })],
      });
    },
    SYNTH_TIMEOUT,
  );
});
