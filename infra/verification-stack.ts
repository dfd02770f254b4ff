import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import { ALARM_DEFAULTS, notifyOnChange } from "./alarms";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { join } from "node:path";
import { environmentOf } from "../shared/config";
import { VERIFIER_FUNCTION } from "../shared/routes";
import type { EnvironmentConfig } from "./config";
import { deadLetterQueue } from "./dead-letter-queue";
import { REPO_ROOT, RegistryFunction } from "./registry-function";

export interface VerificationStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  readonly artifactsBucket: IBucket;
  /** Every alarm of this stack notifies it (the stateful stack's). */
  readonly alarmTopic: ITopic;
  /** Where `verifier/handler.ts` lives; defaults to the repository's functions/. */
  readonly functionsDir?: string;
}

/** A task that failed this many receives goes to the dead-letter queue (docs/artifacts.md). */
export const VERIFICATION_MAX_RECEIVES = 5;

/**
 * Artifact verification outside the API (docs/artifacts.md, Verification): completing an upload
 * sends one task per file to the queue; the verifier hashes a stretch of the file per task and
 * sends the follow-up itself. Tasks that keep failing land in the dead-letter queue, whose alarm fires.
 */
export class VerificationStack extends Stack {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly verifier: RegistryFunction;

  constructor(scope: Construct, id: string, props: VerificationStackProps) {
    super(scope, id, props);
    const { config, table, artifactsBucket } = props;
    const name = `model-registry-${config.name}`;

    this.deadLetters = deadLetterQueue(this, "VerificationDeadLetters", config, "of the artifact verification queue");
    this.queue = new Queue(this, "VerificationQueue", {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      // AWS's advice for a Lambda event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * VERIFIER_FUNCTION.timeoutSeconds),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: VERIFICATION_MAX_RECEIVES },
      removalPolicy: config.removalPolicy,
    });

    this.verifier = new RegistryFunction(this, "Verifier", {
      entry: join(props.functionsDir ?? join(REPO_ROOT, "functions"), "verifier", "handler.ts"),
      description: VERIFIER_FUNCTION.description,
      config,
      environment: environmentOf({
        tableName: table.tableName,
        bucketName: artifactsBucket.bucketName,
        busName: name,
        verificationQueueUrl: this.queue.queueUrl,
      }),
      memorySize: VERIFIER_FUNCTION.memoryMb,
      timeout: Duration.seconds(VERIFIER_FUNCTION.timeoutSeconds),
    })
      .readTable(table)
      .writeTable(table)
      .writeArtifactRefs(table)
      .readArtifacts(artifactsBucket)
      .deleteArtifacts(artifactsBucket)
      .sendMessages(this.queue);
    // One task per invocation: each may hash for its whole time budget.
    this.verifier.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));

    const notify = new SnsAction(props.alarmTopic);
    notifyOnChange(
      this.deadLetters
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" })
        .createAlarm(this, "VerificationDeadLettersAlarm", {
          ...ALARM_DEFAULTS,
          alarmDescription: `${name}: an artifact verification task failed ${VERIFICATION_MAX_RECEIVES} times; its version stays VERIFYING (docs/operations.md, Alarms and dead letters)`,
          threshold: 1,
        }),
      notify,
    );
    this.verifier.alarmOnErrors(this, "VerifierErrors", `${name}: verifier function errors`, config, notify);

    new CfnOutput(this, "VerificationDeadLetterQueueUrl", {
      value: this.deadLetters.queueUrl,
      description: "Artifact verification tasks that failed every receive (docs/operations.md, Alarms and dead letters)",
    });
  }
}
