import { Duration, Stack, type StackProps } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, type ITable } from "aws-cdk-lib/aws-dynamodb";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { tableDefinition } from "../shared/store/table";
import type { EnvironmentConfig } from "./config";

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** Data that outlives deployments: the single table and the artifacts bucket. The API stack receives them as props. */
export class StatefulStack extends Stack {
  readonly table: ITable;
  readonly artifactsBucket: IBucket;

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

    // SPEC §4: no public access, TLS only, SSE, versioning, abort stale multipart uploads. No CORS: clients are CI runners, not browsers.
    this.artifactsBucket = new Bucket(this, "Artifacts", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "artifacts/",
      removalPolicy: config.removalPolicy,
    });
    this.table = table;
  }
}
