import { CfnOutput, Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { Rule, type IEventBus } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SMOKE_EVENTS_PATTERN, SMOKE_MODEL_PREFIX } from "../shared/events/model-events";
import { acknowledgeGuardRule } from "./policy-checks";

/**
 * Where `npm run smoke -- --events-queue <url>` sees its model's events arrive (docs/deploy.md, Smoke
 * test): a rule on the registry's bus sends the events of `smoke_probe_…` models, and only those, to
 * a queue. A smoke run deletes its own events; the rest expire within the retention period.
 */
export class SmokeEvents extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: { readonly bus: IEventBus; readonly name: string }) {
    super(scope, id);
    this.queue = new Queue(this, "Queue", {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      // Long enough for one smoke run to read them; a run that died leaves nothing behind for long.
      retentionPeriod: Duration.minutes(15),
      // Only test events: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const reason =
      "The queue holds smoke-test events for a quarter of an hour, for the smoke run that reads them; an event nobody reads is meant to expire.";
    Validations.of(this.queue).acknowledge({ id: "AwsSolutions-SQS3", reason });
    acknowledgeGuardRule(this.queue, "sqs_dlq_check", reason);
    new Rule(this, "Rule", {
      eventBus: props.bus,
      description: `Sends the events of smoke-test models (${SMOKE_MODEL_PREFIX}…) to the smoke-events queue`,
      eventPattern: SMOKE_EVENTS_PATTERN,
      targets: [new SqsQueue(this.queue)],
    });
    new CfnOutput(scope, "SmokeEventsQueueUrl", {
      value: this.queue.queueUrl,
      description: `Where npm run smoke -- --events-queue sees the events of its model (${props.name})`,
    });
  }
}
