import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, type ITable } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, type IEventBus } from "aws-cdk-lib/aws-events";
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership, type IBucket } from "aws-cdk-lib/aws-s3";
import { Topic, type ITopic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { EVENT_SOURCE } from "../shared/events/model-events";
import { tableDefinition } from "../shared/store/table";
import type { EnvironmentConfig } from "./config";
import { acknowledgeGuardRule } from "./policy-checks";

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Data that outlives deployments: the single table, the artifacts bucket and the event bus with its
 * archive; and the alarm topic, which every later stack's alarms notify. The other stacks receive them as props.
 */
export class StatefulStack extends Stack {
  readonly table: ITable;
  readonly artifactsBucket: IBucket;
  readonly bus: IEventBus;
  readonly alarmTopic: ITopic;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const key = (name: string) => ({ name, type: AttributeType.STRING });

    // Built from the same definition the local engines use, so keys and indexes match everywhere.
    const table = new Table(this, "Table", {
      partitionKey: key(tableDefinition.partitionKey),
      sortKey: key(tableDefinition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType[tableDefinition.streamView],
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    acknowledgeGuardRule(
      table,
      "dynamodb_table_encrypted_kms_check",
      "Encrypted at rest with DynamoDB's AWS owned key: model metadata needs no customer-managed key, and none adds KMS costs or a key policy to keep.",
    );
    for (const index of tableDefinition.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({ indexName: index.indexName, partitionKey: key(index.partitionKey), sortKey: key(index.sortKey) });
    }

    // Server access logs land here. SSE-S3 because S3 log delivery cannot write to SSE-KMS buckets.
    const accessLogs = new Bucket(this, "AccessLogs", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: config.removalPolicy,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    acknowledgeGuardRule(
      accessLogs,
      "s3_bucket_default_encryption_kms_check",
      "S3 server access log delivery cannot write to a bucket encrypted with SSE-KMS; SSE-S3 encrypts it.",
    );
    acknowledgeGuardRule(
      accessLogs,
      "s3_bucket_logging_enabled_check",
      "This bucket is the access-log destination; logging its own writes into itself would loop.",
    );
    acknowledgeGuardRule(
      accessLogs,
      "s3_bucket_versioning_enabled_check",
      "S3 log delivery writes each log object once and never overwrites it; the lifecycle rule expires them after a year.",
    );
    acknowledgeGuardRule(
      accessLogs,
      "s3_bucket_object_lock_enabled_check",
      "Access logs expire after a year by the lifecycle rule; object lock would keep them against it.",
    );
    acknowledgeGuardRule(
      accessLogs,
      "s3_event_notifications_enabled_check",
      "Nothing reacts to a new access-log object; they are read when investigating.",
    );

    // docs/artifacts.md: no public access, TLS only, SSE, versioning, abort stale multipart uploads.
    // Deleting an artifact leaves a noncurrent version: recoverable for 30 days, then gone.
    // No CORS unless the environment names browser origins: clients are CI runners and training jobs.
    const { browserUploadOrigins } = config.artifacts;
    this.artifactsBucket = new Bucket(this, "Artifacts", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7), noncurrentVersionExpiration: Duration.days(30) }],
      cors:
        browserUploadOrigins.length > 0
          ? [
              {
                allowedMethods: [HttpMethods.PUT],
                allowedOrigins: [...browserUploadOrigins],
                allowedHeaders: ["content-type", "x-amz-checksum-sha256", "if-none-match"],
                exposedHeaders: ["ETag"],
                maxAge: 3600,
              },
            ]
          : undefined,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "artifacts/",
      removalPolicy: config.removalPolicy,
    });
    acknowledgeGuardRule(
      this.artifactsBucket,
      "s3_bucket_default_encryption_kms_check",
      "SSE-S3: presigned uploads and downloads of multi-GiB artifacts need no KMS grant or per-request KMS call; the bucket is private and TLS only.",
    );
    acknowledgeGuardRule(
      this.artifactsBucket,
      "s3_bucket_object_lock_enabled_check",
      "The registry deletes an object with its last version (docs/artifacts.md); versioning keeps deleted bytes 30 days instead of a lock.",
    );
    acknowledgeGuardRule(
      this.artifactsBucket,
      "s3_event_notifications_enabled_check",
      "Uploads are verified when the client completes them and announced on the registry's own bus; no object event is consumed.",
    );
    this.table = table;

    // docs/events.md: the registry's own bus. The archive keeps every registry event, so a new consumer can replay history.
    const bus = new EventBus(this, "Bus", {
      eventBusName: `model-registry-${config.name}`,
      description: "Model registry events: versions registered, ready, failed, stage and alias changes",
    });
    bus.applyRemovalPolicy(config.removalPolicy);
    bus
      .archive("Archive", {
        description: `Every ${EVENT_SOURCE} event, for replay`,
        eventPattern: { source: [EVENT_SOURCE] },
        retention: config.events.archiveRetention,
      })
      .applyRemovalPolicy(config.removalPolicy);
    this.bus = bus;
    this.alarmTopic = this.createAlarmTopic(config);

    new CfnOutput(this, "TableName", { value: table.tableName, description: "The registry's DynamoDB table" });
    new CfnOutput(this, "ArtifactsBucketName", {
      value: this.artifactsBucket.bucketName,
      description: "Artifacts bucket (objects under artifacts/sha256/<hex>)",
    });
    new CfnOutput(this, "EventBusName", {
      value: bus.eventBusName,
      description: "The registry's EventBridge bus: put your deployment rules on it",
    });
    new CfnOutput(this, "EventBusArn", { value: bus.eventBusArn, description: "ARN of the registry's EventBridge bus" });
    new CfnOutput(this, "AlarmTopicArn", {
      value: this.alarmTopic.topicArn,
      description: "SNS topic every registry alarm notifies: subscribe on-call tooling here",
    });
  }

  /**
   * One topic per environment for every alarm, encrypted with its own key: CloudWatch can publish
   * to an encrypted topic only through a key whose policy lets cloudwatch.amazonaws.com use it.
   */
  private createAlarmTopic(config: EnvironmentConfig): Topic {
    const key = new Key(this, "AlarmTopicKey", {
      description: `model-registry-${config.name} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    key.grant(new ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
    // Grants on this key only for AWS services acting on AWS resources (Control Tower CT.KMS.PR.3).
    key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["kms:CreateGrant"],
        resources: ["*"],
        conditions: { BoolIfExists: { "kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false" } },
      }),
    );
    const topic = new Topic(this, "AlarmTopic", { displayName: `model-registry-${config.name} alarms`, masterKey: key, enforceSSL: true });
    if (config.alarms.email) topic.addSubscription(new EmailSubscription(config.alarms.email));
    return topic;
  }
}
