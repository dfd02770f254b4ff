import { CfnOutput, Duration, Stack, Validations, type StackProps } from "aws-cdk-lib";
import type { IAlarmAction } from "aws-cdk-lib/aws-cloudwatch";
import { ALARM_DEFAULTS, notifyOnChange } from "./alarms";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { SfnStateMachine } from "aws-cdk-lib/aws-events-targets";
import { FilterCriteria, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { join } from "node:path";
import { OUTBOX_STREAM_FILTER } from "../shared/events/model-events";
import { environmentOf } from "../shared/config";
import type { EnvironmentConfig } from "./config";
import { DeploymentTrigger } from "./deployment-trigger";
import { deadLetterQueue } from "./dead-letter-queue";
import { REPO_ROOT, RegistryFunction } from "./registry-function";
import { SmokeEvents } from "./smoke-events";

export interface EventsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The table whose stream carries the outbox (new history items). */
  readonly table: ITable;
  readonly bus: IEventBus;
  /** Every alarm of this stack notifies it (the stateful stack's). */
  readonly alarmTopic: ITopic;
  /** Where `publisher/handler.ts` lives; defaults to the repository's functions/. */
  readonly functionsDir?: string;
}

/**
 * The transactional outbox's relay (docs/events.md): the publisher function reads new history items from
 * the table's stream and puts them on the bus; a dead-letter queue and alarms catch what fails;
 * the environment's deployment rules listen on the bus.
 */
export class EventsStack extends Stack {
  readonly publisher: RegistryFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { config, table, bus } = props;
    const name = `model-registry-${config.name}`;

    // One queue for everything that did not reach where it should: events PutEvents refused (the
    // publisher's messages carry the entry, ready to put again), stream batches the function could
    // not handle (Lambda's on-failure records) and events a deployment rule could not deliver.
    this.deadLetters = deadLetterQueue(
      this,
      "DeadLetters",
      config,
      "of the events publisher, its stream event source and the deployment rules' targets",
    );

    this.publisher = new RegistryFunction(this, "Publisher", {
      entry: join(props.functionsDir ?? join(REPO_ROOT, "functions"), "publisher", "handler.ts"),
      description: "Announces committed changes (new history items on the table's stream) on the registry's event bus",
      config,
      environment: environmentOf({ tableName: table.tableName, busName: bus.eventBusName, deadLetterQueueUrl: this.deadLetters.queueUrl }),
      memorySize: 256,
      timeout: Duration.seconds(60),
    })
      .putEvents(bus)
      .sendMessages(this.deadLetters);
    this.publisher.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: config.events.publisherBatchSize,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: config.events.publisherRetryAttempts,
        onFailure: new SqsDlq(this.deadLetters),
        // Only new history items are outbox records: the function is not even invoked for the rest.
        filters: [FilterCriteria.filter(OUTBOX_STREAM_FILTER)],
      }),
    );
    Validations.of(this.publisher.role.node.findChild("DefaultPolicy")).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "dynamodb:ListStreams (granted by the stream event source) and the X-Ray trace actions do not support resource-level permissions; the stream reads are scoped to the table's stream ARN.",
    });

    this.alarms(config, name, new SnsAction(props.alarmTopic));

    for (const trigger of config.events.deploymentTriggers) {
      const stateMachine = StateMachine.fromStateMachineName(this, `${trigger.id}StateMachine`, trigger.stateMachineName);
      new DeploymentTrigger(this, trigger.id, {
        bus,
        model: trigger.model,
        stage: trigger.stage,
        target: new SfnStateMachine(stateMachine, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      });
    }

    if (config.events.smokeEvents) new SmokeEvents(this, "SmokeEvents", { bus, name });

    new CfnOutput(this, "DeadLetterQueueUrl", {
      value: this.deadLetters.queueUrl,
      description: "Events that were not announced or not delivered (docs/operations.md, Alarms and dead letters)",
    });
  }

  private alarms(config: EnvironmentConfig, name: string, notify: IAlarmAction): void {
    const deadLetters = this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" });
    notifyOnChange(
      deadLetters.createAlarm(this, "DeadLettersAlarm", {
        ...ALARM_DEFAULTS,
        alarmDescription: `${name}: an event was not announced or not delivered; its message in the events dead-letter queue says why (docs/operations.md, Alarms and dead letters)`,
        threshold: 1,
      }),
      notify,
    );
    this.publisher.alarmOnErrors(this, "PublisherErrors", `${name}: events publisher errors`, config, notify);
    const iteratorAge = this.publisher.function.metric("IteratorAge", { period: Duration.minutes(1), statistic: "Maximum" });
    notifyOnChange(
      iteratorAge.createAlarm(this, "PublisherIteratorAge", {
        ...ALARM_DEFAULTS,
        alarmDescription: `${name}: announcements are falling behind the table's stream`,
        threshold: config.events.maxIteratorAge.toMilliseconds(),
      }),
      notify,
    );
  }
}
