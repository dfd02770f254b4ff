import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import { Dashboard, GraphWidget, MathExpression, type IMetric } from "aws-cdk-lib/aws-cloudwatch";
import { ALARM_DEFAULTS, notifyOnChange } from "./alarms";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "./config";
import type { RegistryFunction } from "./registry-function";

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly alarmTopic: ITopic;
  readonly api: HttpApi;
  /** Every registry function by name: the API's and the events publisher. */
  readonly functions: Readonly<Record<string, RegistryFunction>> & { readonly publisher: RegistryFunction };
  readonly deadLetters: IQueue;
}

/**
 * What an operator watches (docs/operations.md, Alarms and dashboard): the API's 5xx rate and the
 * functions' throttles raise alarms on the environment's topic, beside the per-function alarms of
 * the other stacks; one dashboard shows requests, latency, errors, events and dead letters.
 */
export class MonitoringStack extends Stack {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, api } = props;
    const name = `model-registry-${config.name}`;
    const period = config.alarms.period;
    const notify = new SnsAction(props.alarmTopic);
    const functions = Object.entries(props.functions);

    const requests = api.metricCount({ period, statistic: "Sum" });
    const serverErrors = api.metricServerError({ period, statistic: "Sum" });
    // FILL(…, 0): a period without requests reports no datapoint, and that is 0 %, not missing data.
    const serverErrorRate = new MathExpression({
      expression: "IF(FILL(requests, 0) > 0, 100 * FILL(errors, 0) / requests, 0)",
      usingMetrics: { requests, errors: serverErrors },
      label: "5xx, % of requests",
      period,
    });
    notifyOnChange(
      serverErrorRate.createAlarm(this, "ServerErrorRate", {
        ...ALARM_DEFAULTS,
        alarmDescription: `${name}: the API answers 5xx to ${config.alarms.serverErrorRatePercent} % of requests or more`,
        threshold: config.alarms.serverErrorRatePercent,
      }),
      notify,
    );

    const throttles = sumOf(
      functions.map(([, fn]) => fn.function.metricThrottles({ period, statistic: "Sum" })),
      "throttled invocations",
      period,
    );
    notifyOnChange(
      throttles.createAlarm(this, "Throttles", {
        ...ALARM_DEFAULTS,
        alarmDescription: `${name}: Lambda throttled registry functions (account or reserved concurrency exhausted)`,
        threshold: config.alarms.throttles,
      }),
      notify,
    );

    this.dashboard = new Dashboard(this, "Dashboard", { dashboardName: name, defaultInterval: Duration.hours(12) });
    this.dashboard.addWidgets(
      graph("Requests", [requests]),
      graph("Latency (ms)", [
        api.metricLatency({ period, statistic: "p50" }),
        api.metricLatency({ period, statistic: "p99" }),
        api.metricIntegrationLatency({ period, statistic: "p99" }),
      ]),
      graph("4xx and 5xx", [api.metricClientError({ period, statistic: "Sum" }), serverErrors], [serverErrorRate]),
    );
    this.dashboard.addWidgets(
      graph(
        "Function errors",
        functions.map(([fnName, fn]) => fn.function.metricErrors({ period, statistic: "Sum", label: fnName })),
      ),
      graph(
        "Function throttles",
        functions.map(([fnName, fn]) => fn.function.metricThrottles({ period, statistic: "Sum", label: fnName })),
      ),
      graph(
        "Function duration p99 (ms)",
        functions.map(([fnName, fn]) => fn.function.metricDuration({ period, statistic: "p99", label: fnName })),
      ),
    );
    this.dashboard.addWidgets(
      graph("Events published", [eventsMatchedOnBus(name, period)]),
      graph("Events failed: publisher errors, dead letters", [
        props.functions.publisher.function.metricErrors({ period, statistic: "Sum", label: "publisher errors" }),
        props.deadLetters.metricNumberOfMessagesSent({ period, statistic: "Sum", label: "dead letters sent" }),
      ]),
      graph(
        "Dead-letter queue depth",
        [
          props.deadLetters.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: "Maximum",
            label: "messages",
          }),
        ],
        [
          props.functions.publisher.function.metric("IteratorAge", {
            period: Duration.minutes(1),
            statistic: "Maximum",
            label: "publisher iterator age (ms)",
          }),
        ],
      ),
    );

    new CfnOutput(this, "DashboardName", { value: this.dashboard.dashboardName, description: "CloudWatch dashboard of the registry" });
    new CfnOutput(this, "DashboardUrl", {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${name}`,
      description: "CloudWatch dashboard of the registry, in the console",
    });
  }
}

function graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
  return new GraphWidget({ title, left, right, width: 8 });
}

/** One line: the sum of `metrics`, a missing datapoint counted as 0. */
function sumOf(metrics: IMetric[], label: string, period: Duration): MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((metric, i) => [`m${i}`, metric]));
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(" + "),
    usingMetrics,
    label,
    period,
  });
}

/**
 * EventBridge counts, per rule of a custom bus, the events each rule matched. The bus's archive has
 * a rule matching every registry event (infra/stateful-stack.ts), so its line is the events published.
 */
function eventsMatchedOnBus(busName: string, period: Duration): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{AWS/Events,EventBusName,RuleName} MetricName="MatchedEvents" EventBusName="${busName}"', 'Sum', ${period.toSeconds()})`,
    usingMetrics: {},
    label: "events matched, per rule",
    period,
  });
}
