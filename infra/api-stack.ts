import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { Construct } from "constructs";
import { join } from "node:path";
import { FUNCTIONS, isWriteRoute, routes, type FunctionName, type Grant } from "../shared/routes";
import { environmentOf } from "../shared/config";
import type { EnvironmentConfig } from "./config";
import { besideBundleOf } from "./bundling";
import { REPO_ROOT, RegistryFunction } from "./registry-function";
import { roleBindingsFor } from "./role-bindings";

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  readonly artifactsBucket: IBucket;
  /** Every alarm of this stack notifies it (the stateful stack's). */
  readonly alarmTopic: ITopic;
  /** Where completing an upload sends its verification tasks (the verification stack's). */
  readonly verificationQueue: IQueue;
  /** Where `<functionName>/handler.ts` live; defaults to the repository's functions/. */
  readonly functionsDir?: string;
}

/** The HTTP API: IAM-authorized routes from the one route table, one function per privilege boundary. */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<FunctionName, RegistryFunction>;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, table, artifactsBucket } = props;
    const notify = new SnsAction(props.alarmTopic);
    const functionsDir = props.functionsDir ?? join(REPO_ROOT, "functions");

    // Exhaustive on purpose: a new grant string in FUNCTIONS does not compile until it is mapped here.
    const grantBy: Record<Grant, (fn: RegistryFunction) => void> = {
      readTable: (fn) => fn.readTable(table),
      writeTable: (fn) => fn.writeTable(table),
      indexKeyMetrics: (fn) => fn.indexKeyMetrics(table),
      writeArtifactRefs: (fn) => fn.writeArtifactRefs(table),
      presignUploads: (fn) => fn.presignUploads(artifactsBucket),
      readArtifacts: (fn) => fn.readArtifacts(artifactsBucket),
      listArtifacts: (fn) => fn.listArtifacts(artifactsBucket),
      deleteArtifacts: (fn) => fn.deleteArtifacts(artifactsBucket),
      abortUploads: (fn) => fn.abortUploads(artifactsBucket),
      sendVerificationTasks: (fn) => fn.sendMessages(props.verificationQueue),
    };

    const environment = environmentOf({
      tableName: table.tableName,
      bucketName: artifactsBucket.bucketName,
      busName: `model-registry-${config.name}`,
      namingPolicy: config.namingPolicy,
      // Anchored on the deploying account: a deploy-time value unless the config pins one.
      roleBindings: this.toJsonString(roleBindingsFor(config.roleBindings, this.account, this.partition)),
      uploadUrlExpirySeconds: String(config.artifacts.uploadUrlExpirySeconds),
      maxArtifactBytes: String(config.artifacts.maxArtifactBytes),
    });

    this.functions = {} as Record<FunctionName, RegistryFunction>;
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const sendsTasks = (spec.grants as readonly Grant[]).includes("sendVerificationTasks");
      const fn = new RegistryFunction(this, `${name}Function`, {
        entry: join(functionsDir, name, "handler.ts"),
        description: spec.description,
        config,
        environment: sendsTasks
          ? { ...environment, ...environmentOf({ verificationQueueUrl: props.verificationQueue.queueUrl }) }
          : environment,
        besideBundle: besideBundleOf(name),
      });
      for (const grant of spec.grants) grantBy[grant](fn);
      // The handler keeps Idempotency-Key records for write routes only (shared/http/api-handler.ts); so does the grant.
      if (routes.some((route) => route.function === name && isWriteRoute(route))) fn.recordIdempotency(table);
      fn.alarmOnErrors(this, `${name}Errors`, `model-registry-${config.name}: ${name} function errors`, config, notify);
      this.functions[name] = fn;
    }

    // SigV4 on every route: the caller's verified ARN is the actor (docs/operations.md, Who may call).
    this.api = new HttpApi(this, "HttpApi", {
      apiName: `model-registry-${config.name}`,
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false, // the default stage is added below, with access logs and throttling
    });

    const accessLogs = new LogGroup(this, "AccessLogs", { retention: config.logRetention, removalPolicy: config.removalPolicy });
    const stage = this.api.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            time: "$context.requestTime",
            caller: "$context.identity.userArn",
            sourceIp: "$context.identity.sourceIp",
            routeKey: "$context.routeKey",
            status: "$context.status",
            latencyMs: "$context.responseLatency",
            integrationLatencyMs: "$context.integrationLatency",
            integrationError: "$context.integrationErrorMessage",
            responseLength: "$context.responseLength",
          }),
        ),
      },
    });

    // One integration per function, shared by its routes; each route still gets its own scoped invoke permission.
    const integrations = Object.fromEntries(
      Object.entries(this.functions).map(([name, fn]) => [name, new HttpLambdaIntegration(`${name}Integration`, fn.function)]),
    ) as Record<FunctionName, HttpLambdaIntegration>;
    for (const route of routes) {
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integrations[route.function] });
    }

    new CfnOutput(this, "ApiUrl", { value: stage.url, description: "Base URL of the registry API (SigV4-signed requests)" });
    new CfnOutput(this, "ApiId", { value: this.api.apiId, description: "HTTP API id (CloudWatch metrics, aws apigatewayv2 commands)" });
    new CfnOutput(this, "ExecuteApiArn", {
      value: this.api.arnForExecuteApi("*", "/*"),
      description: "Allow execute-api:Invoke on this ARN in a caller's IAM policy; its registry role comes from roleBindings",
    });
  }
}
