import { Duration, Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { ApplicationLogLevel, Architecture, LayerVersion, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IAlarmAction } from "aws-cdk-lib/aws-cloudwatch";
import { Construct } from "constructs";
import { ALARM_DEFAULTS, notifyOnChange } from "./alarms";
import { type BesideBundle, functionBundling } from "./bundling";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { tableDefinition } from "../shared/store/table";
import { artifactObjectKey } from "../shared/domain/artifacts";
import { modelPartition } from "../shared/store/keys";
import { artifactRefKey } from "../shared/store/entities/artifact";
import { IDEMPOTENCY_PARTITION } from "../shared/http/idempotency-key";
import type { EnvironmentConfig } from "./config";
import { environmentOf } from "../shared/config";

/** The only keys the registry writes, reads or deletes in the artifacts bucket. */
const ARTIFACT_OBJECTS = artifactObjectKey("*");
/** The table's partitions, as the store's key builders name them. */
const MODEL_PARTITIONS = modelPartition("*");
const ARTIFACT_REF_PARTITIONS = artifactRefKey("*").pk;
/** Reads of items by key: one (GetItem) or a set of them (BatchGetItem, shared/store/batch-get.ts). */
const KEY_READS = ["dynamodb:GetItem", "dynamodb:BatchGetItem"] as const;
/** ConditionCheckItem: a transaction's checks on items it does not change (the policy's revision, a reference count). */
const ITEM_WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"] as const;

/**
 * Powertools' public layer: shared/powertools-layer.ts loads the Tracer, the X-Ray SDK and Metrics
 * from it instead of bundling them. Its utilities keep their API within a major version (2 here, as
 * in package.json).
 */
const powertoolsLayerArn = (region: string) => `arn:aws:lambda:${region}:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:44`;

/** The repository root: entries and the lock file are found from here, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface RegistryFunctionProps {
  /** `functions/<name>/handler.ts` exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly config: EnvironmentConfig;
  /** Handler settings read by shared/config.ts, built by its `environmentOf` (TABLE_NAME, BUCKET_NAME, …). */
  readonly environment: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Files its bundle reads beside it (infra/bundling.ts, besideBundleOf), written after esbuild. */
  readonly besideBundle?: readonly BesideBundle[];
}

/**
 * The one way this project builds a Lambda: arm64, Node.js 22, bundled by esbuild as infra/bundling.ts says, source maps,
 * its own log group with the environment's retention, X-Ray, and permissions granted by intent.
 */
export class RegistryFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: RegistryFunctionProps) {
    super(scope, id);
    const { config } = props;

    const logGroup = new LogGroup(this, "Logs", { retention: config.logRetention, removalPolicy: config.removalPolicy });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group and nothing else.
    this.role = new Role(this, "Role", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      description: props.description,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      // API Gateway waits 30 s; a contended change retries for up to 25 s (shared/store/model-change.ts) and must end with its own answer.
      timeout: props.timeout ?? Duration.seconds(29),
      role: this.role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[config.logLevel],
      tracing: Tracing.ACTIVE,
      layers: [LayerVersion.fromLayerVersionArn(this, "Powertools", powertoolsLayerArn(Stack.of(this).region))],
      environment: {
        ...props.environment,
        // The one namespace of every function's EMF metrics (shared/metrics.ts names them); Powertools adds the service dimension.
        ...environmentOf({ logLevel: config.logLevel, metricsNamespace: "ModelRegistry", tracing: "true" }),
        POWERTOOLS_SERVICE_NAME: "model-registry",
      },
      bundling: {
        format: OutputFormat.CJS,
        target: functionBundling.target,
        mainFields: [...functionBundling.mainFields],
        minify: functionBundling.minify,
        externalModules: [...functionBundling.external],
        esbuildArgs: { "--conditions": functionBundling.conditions.join(",") },
        sourceMap: true,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) =>
            props.besideBundle?.length
              ? [`cd "${inputDir}" && node --import tsx infra/write-beside-bundle.ts "${outputDir}" ${props.besideBundle.join(" ")}`]
              : [],
        },
      },
    });

    Validations.of(this.role.node.findChild("DefaultPolicy")).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "Added by Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.",
    });
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Node.js 22 is pinned (the runtime the bundles target and the local engines run); moving to a newer runtime is a deliberate change.",
    });
  }

  /** An alarm when the function's errors over one period reach the environment's threshold (docs/operations.md, Alarms). */
  alarmOnErrors(scope: Construct, id: string, description: string, config: EnvironmentConfig, notify: IAlarmAction): void {
    const errors = this.function.metricErrors({ period: config.alarms.period, statistic: "Sum" });
    notifyOnChange(
      errors.createAlarm(scope, id, { ...ALARM_DEFAULTS, alarmDescription: description, threshold: config.alarms.functionErrors }),
      notify,
    );
  }

  /**
   * GetItem, BatchGetItem and Query on the models' partitions and Query on each index (named from
   * tableDefinition). No Scan: every list is a Query. BatchGetItem: the store reads sets of known
   * keys 100 at a time (shared/store/batch-get.ts); it reads no key GetItem could not.
   */
  readTable(table: ITable): this {
    const indexArns = tableDefinition.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`);
    this.allowItems(table, [...KEY_READS, "dynamodb:Query"], MODEL_PARTITIONS);
    // An index is keyed by gsi1pk, not by the table's partition key; it projects models' items only.
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["dynamodb:Query"], resources: indexArns }));
    return this;
  }

  /** Item writes in the models' partitions, which TransactWriteItems checks item by item. No table-level actions (no DeleteTable, no UpdateTable). */
  writeTable(table: ITable): this {
    return this.allowItems(table, ITEM_WRITES, MODEL_PARTITIONS);
  }

  /**
   * BatchWriteItem in the models' partitions: declaring a key metric indexes a model's existing
   * versions outside any transaction, 25 puts or deletes a request (shared/store/key-metric-backfill.ts).
   */
  indexKeyMetrics(table: ITable): this {
    return this.allowItems(table, ["dynamodb:BatchWriteItem"], MODEL_PARTITIONS);
  }

  /** Reading and writing the per-object reference items (`ARTIFACT#<sha256>`): registration, verification and deletion count them. */
  writeArtifactRefs(table: ITable): this {
    return this.allowItems(table, [...KEY_READS, ...ITEM_WRITES], ARTIFACT_REF_PARTITIONS);
  }

  /** The Idempotency-Key records (shared/http/idempotency.ts): Powertools reads, writes and deletes them in their own partition. */
  recordIdempotency(table: ITable): this {
    return this.allowItems(
      table,
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      IDEMPOTENCY_PARTITION,
    );
  }

  /** `actions` on the table's items whose partition key matches `partitions` (dynamodb:LeadingKeys; every granted action names its key). */
  private allowItems(table: ITable, actions: readonly string[], partitions: string): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [partitions] } },
      }),
    );
    return this;
  }

  /** events:PutEvents on this one bus. */
  putEvents(bus: IEventBus): this {
    bus.grantPutEventsTo(this.role);
    return this;
  }

  /** sqs:SendMessage (and the attribute reads the SDK may make) on this one queue. */
  sendMessages(queue: IQueue): this {
    queue.grantSendMessages(this.role);
    return this;
  }

  /**
   * Presigned uploads act with this role's credentials: PutObject covers the single PUT, starting,
   * uploading parts of and completing a multipart upload. Stale multipart uploads are aborted by
   * the bucket's lifecycle rule; the registry aborts only a deleted version's (abortUploads).
   */
  presignUploads(bucket: IBucket): this {
    return this.grantArtifactObjects(bucket, ["s3:PutObject"]);
  }

  /** HEAD (size, stored checksum), GET to hash an object, and presigned downloads. */
  readArtifacts(bucket: IBucket): this {
    return this.grantArtifactObjects(bucket, ["s3:GetObject"]);
  }

  /**
   * s3:ListBucket on the bucket, for listings under the content-addressed prefix only (`s3:prefix`):
   * completing a version of many files checks their objects a page at a time.
   */
  listArtifacts(bucket: IBucket): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": [ARTIFACT_OBJECTS] } },
      }),
    );
    return this;
  }

  /** Deleting an object whose last version went, or bytes that failed verification. */
  deleteArtifacts(bucket: IBucket): this {
    return this.grantArtifactObjects(bucket, ["s3:DeleteObject"]);
  }

  /** Aborting a deleted version's open multipart upload (shared/use-cases/version-removal.ts); the verifier never does. */
  abortUploads(bucket: IBucket): this {
    return this.grantArtifactObjects(bucket, ["s3:AbortMultipartUpload"]);
  }

  /** Object-level actions on the content-addressed prefix only (docs/artifacts.md: `artifacts/sha256/<hex>`); no bucket-level action. */
  private grantArtifactObjects(bucket: IBucket, actions: string[]): this {
    const objects = bucket.arnForObjects(ARTIFACT_OBJECTS);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [objects] }));
    // cdk-nag names the finding after the resource as synthesized. Across stacks the bucket ARN is an
    // import whose name CDK picks while preparing the app, so acknowledge it once references are resolved.
    const policy = this.role.node.findChild("DefaultPolicy");
    policy.node.addValidation({
      validate: () => {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(this).resolve(objects))}]`,
          reason:
            "Object keys are content hashes known only at request time; the wildcard is limited to the artifacts/sha256/ prefix of one bucket.",
        });
        return [];
      },
    });
    return this;
  }
}

/** A resolved CloudFormation value as cdk-nag prints it in finding ids: joins concatenated, imports by name, GetAtt as <Id.Attr>, Ref as <Id>. */
function flattenReference(value: unknown): string {
  if (typeof value === "string") return value;
  const node = value as Record<string, unknown>;
  if ("Fn::Join" in node) {
    const [delimiter, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(flattenReference).join(delimiter);
  }
  if ("Fn::ImportValue" in node) return flattenReference(node["Fn::ImportValue"]);
  if ("Fn::GetAtt" in node) return `<${(node["Fn::GetAtt"] as string[]).join(".")}>`;
  if ("Ref" in node) return `<${String(node.Ref)}>`;
  return JSON.stringify(value);
}
