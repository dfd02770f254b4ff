import { Duration, Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { CfnBucket, type IBucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { tableDefinition } from "../shared/store/table";
import type { EnvironmentConfig } from "./config";

/** The repository root: entries and the lock file are found from here, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface RegistryFunctionProps {
  /** `functions/<name>/handler.ts` exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly config: EnvironmentConfig;
  /** Handler settings read by shared/config.ts (TABLE_NAME, BUCKET_NAME, …). */
  readonly environment: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
}

/**
 * The one way this project builds a Lambda: arm64, Node.js 22, esbuild-bundled ESM with source maps,
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
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[config.logLevel],
      tracing: Tracing.ACTIVE,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: "model-registry",
        POWERTOOLS_LOG_LEVEL: config.logLevel,
      },
      bundling: {
        // Our code and middy are ESM; CJS dependencies bundled into ESM still call require(), hence the banner.
        format: OutputFormat.ESM,
        target: "node22",
        mainFields: ["module", "main"],
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        // @aws-sdk/* stays external (the default): the Node.js 22 runtime provides it and it keeps bundles small.
      },
    });

    Validations.of(this.role.node.findChild("DefaultPolicy")).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "Added by Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.",
    });
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason: "SPEC §8 pins Node.js 22 (the runtime the bundles target and the local engines run); moving to a newer runtime is a deliberate change.",
    });
  }

  /** GetItem/Query on the table and each of its indexes (named from tableDefinition). No Scan: every list is a Query. */
  readTable(table: ITable): this {
    const indexArns = tableDefinition.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
        resources: [table.tableArn, ...indexArns],
      }),
    );
    return this;
  }

  /** Item writes, which TransactWriteItems checks item by item. No table-level actions (no DeleteTable, no UpdateTable). */
  writeTable(table: ITable): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"],
        resources: [table.tableArn],
      }),
    );
    return this;
  }

  /**
   * Presigned uploads act with this role's credentials, so it needs the upload actions on the
   * content-addressed prefix only (SPEC §4: `artifacts/sha256/<hex>`).
   */
  presignUploads(bucket: IBucket): this {
    const objects = "artifacts/sha256/*";
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        resources: [bucket.arnForObjects(objects)],
      }),
    );
    // cdk-nag names the finding after the bucket's logical id, e.g. `Resource::<Artifacts82DD59A1.Arn>/artifacts/sha256/*`.
    const cfnBucket = bucket.node.defaultChild;
    if (cfnBucket instanceof CfnBucket) {
      const logicalId = Stack.of(cfnBucket).resolve(cfnBucket.logicalId) as string;
      Validations.of(this.role.node.findChild("DefaultPolicy")).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${objects}]`,
        reason: "Object keys are content hashes known only at request time; the wildcard is limited to the artifacts/sha256/ prefix of one bucket.",
      });
    }
    return this;
  }
}
