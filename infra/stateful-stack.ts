import { Duration, Stack, type StackProps } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, type ITable } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, type IEventBus } from "aws-cdk-lib/aws-events";
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership, type IBucket } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { EVENT_SOURCE } from "../shared/events/model-events";
import { tableDefinition } from "../shared/store/table";
import type { EnvironmentConfig } from "./config";

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** Data that outlives deployments: the single table, the artifacts bucket and the event bus with its archive. The other stacks receive them as props. */
export class StatefulStack extends Stack {
  readonly table: ITable;
  readonly artifactsBucket: IBucket;
  readonly bus: IEventBus;

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

    // SPEC §4: no public access, TLS only, SSE, versioning, abort stale multipart uploads.
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
          ? [{ allowedMethods: [HttpMethods.PUT], allowedOrigins: [...browserUploadOrigins], allowedHeaders: ["content-type", "x-amz-checksum-sha256", "if-none-match"], exposedHeaders: ["ETag"], maxAge: 3600 }]
          : undefined,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "artifacts/",
      removalPolicy: config.removalPolicy,
    });
    this.table = table;

    // SPEC §7: the registry's own bus. The archive keeps every registry event, so a new consumer can replay history.
    const bus = new EventBus(this, "Bus", { eventBusName: `model-registry-${config.name}`, description: "Model registry events: versions registered, ready, failed, stage and alias changes" });
    bus.applyRemovalPolicy(config.removalPolicy);
    bus
      .archive("Archive", { description: `Every ${EVENT_SOURCE} event, for replay`, eventPattern: { source: [EVENT_SOURCE] }, retention: config.events.archiveRetention })
      .applyRemovalPolicy(config.removalPolicy);
    this.bus = bus;
  }
}
