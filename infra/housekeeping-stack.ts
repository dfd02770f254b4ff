import { Duration, Stack, type StackProps } from "aws-cdk-lib";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { join } from "node:path";
import { environmentOf, housekeepingEnvironment } from "../shared/config";
import { HOUSEKEEPING_FUNCTION } from "../shared/routes";
import type { EnvironmentConfig } from "./config";
import { REPO_ROOT, RegistryFunction } from "./registry-function";

export interface HousekeepingStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  readonly artifactsBucket: IBucket;
  /** The function's error alarm notifies it (the stateful stack's). */
  readonly alarmTopic: ITopic;
  /** Where `housekeeping/handler.ts` lives; defaults to the repository's functions/. */
  readonly functionsDir?: string;
}

/**
 * Housekeeping (docs/operations.md): a scheduled EventBridge rule invokes the function that applies
 * models' retention rules, each run bounded by the environment's config; a run that fails is retried
 * by EventBridge, and its errors raise the function's alarm. The schedule is off where the config says so (prod, by default).
 */
export class HousekeepingStack extends Stack {
  readonly housekeeping: RegistryFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: HousekeepingStackProps) {
    super(scope, id, props);
    const { config, table, artifactsBucket } = props;
    const name = `model-registry-${config.name}`;

    this.housekeeping = new RegistryFunction(this, "Housekeeping", {
      entry: join(props.functionsDir ?? join(REPO_ROOT, "functions"), "housekeeping", "handler.ts"),
      description: HOUSEKEEPING_FUNCTION.description,
      config,
      environment: environmentOf({
        tableName: table.tableName,
        bucketName: artifactsBucket.bucketName,
        busName: name,
        ...housekeepingEnvironment(config.housekeeping),
      }),
      timeout: Duration.seconds(HOUSEKEEPING_FUNCTION.timeoutSeconds),
    })
      .readTable(table)
      .writeTable(table)
      .writeArtifactRefs(table)
      .deleteArtifacts(artifactsBucket)
      .abortUploads(artifactsBucket);

    this.schedule = new Rule(this, "HousekeepingSchedule", {
      description: `${name}: applies models' retention rules every ${config.housekeeping.every.toHumanString()}`,
      schedule: Schedule.rate(config.housekeeping.every),
      enabled: config.housekeeping.enabled,
      targets: [new LambdaFunction(this.housekeeping.function, { retryAttempts: 2, maxEventAge: config.housekeeping.every })],
    });

    this.housekeeping.alarmOnErrors(
      this,
      "HousekeepingErrors",
      `${name}: housekeeping function errors`,
      config,
      new SnsAction(props.alarmTopic),
    );
  }
}
