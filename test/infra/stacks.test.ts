import { App, Validations, type Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type RegistryApp } from "../../infra/app";
import { ENVIRONMENTS, getEnvironmentConfig, type EnvironmentConfig } from "../../infra/config";
import { ApiStack } from "../../infra/api-stack";
import { roleBindingsFor } from "../../infra/role-bindings";
import { StatefulStack } from "../../infra/stateful-stack";
import { VerificationStack } from "../../infra/verification-stack";
import { ROLES, rolesOf, type RoleBinding } from "../../shared/domain/permissions";
import { FUNCTIONS, isWriteRoute, routeKey, routes, type FunctionName } from "../../shared/routes";
import { tableDefinition } from "../../shared/store/table";
import { openApiDocument } from "../../shared/http/openapi";
import { OPENAPI_ASSET } from "../../shared/http/openapi-asset";
import { POWERTOOLS_IDEMPOTENCY_MODULE } from "../../shared/http/idempotency-key";

// The same feature flags `cdk synth` reads, so the test builds what the CLI builds.
const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const SYNTH_TIMEOUT = 120_000; // esbuild bundles every function
const outdirs: string[] = [];

interface Synthesized extends RegistryApp {
  readonly statefulTemplate: Template;
  readonly apiTemplate: Template;
}

function synth(envName: string): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), `registry-cdk-${envName}-`));
  outdirs.push(outdir);
  const built = buildApp(envName, new App({ outdir, context: { ...cdkContext, env: envName } }));
  // Template.fromStack synthesizes the app; cdk-nag runs as a validation plugin and throws on unacknowledged errors.
  return { ...built, statefulTemplate: Template.fromStack(built.stateful), apiTemplate: Template.fromStack(built.api) };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const key = (partition: string, sort: string) => [
  { AttributeName: partition, KeyType: "HASH" },
  { AttributeName: sort, KeyType: "RANGE" },
];

/** Logical id of each registry function, found by the description FUNCTIONS gives it. */
function functionIds(template: Template): Record<FunctionName, string> {
  const lambdas = template.findResources("AWS::Lambda::Function");
  const byDescription = new Map(Object.entries(lambdas).map(([id, r]) => [r.Properties.Description, id]));
  return Object.fromEntries(Object.entries(FUNCTIONS).map(([name, spec]) => [name, byDescription.get(spec.description)])) as Record<
    FunctionName,
    string
  >;
}

interface PolicyStatementJson {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: { readonly "ForAllValues:StringLike"?: { readonly "dynamodb:LeadingKeys"?: string[] } };
}

/** Every IAM statement of the role of function `fnId`. */
function statementsOf(template: Template, fnId: string): PolicyStatementJson[] {
  const roleRef = template.toJSON().Resources[fnId].Properties.Role["Fn::GetAtt"][0];
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
    p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleRef),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** Every IAM action the role of function `fnId` is allowed. */
function actionsOf(template: Template, fnId: string): string[] {
  return statementsOf(template, fnId).flatMap((s) => [s.Action].flat());
}

/** The table's item actions of function `fnId` by the partitions they are limited to (`*`: the whole table). */
function tableActionsByPartition(template: Template, fnId: string): Record<string, string[]> {
  const onTable = statementsOf(template, fnId).filter((s) => /ExportsOutputFnGetAttTable\w+"\}$/.test(JSON.stringify(s.Resource)));
  const byPartition: Record<string, string[]> = {};
  for (const statement of onTable) {
    for (const partition of statement.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] ?? ["*"]) {
      byPartition[partition] = [...(byPartition[partition] ?? []), ...[statement.Action].flat()].sort();
    }
  }
  return byPartition;
}

const OWN_ACCOUNT = "111111111111";
const FOREIGN_ACCOUNT = "999999999999";

/** ROLE_BINDINGS as a function sees it once deployed to OWN_ACCOUNT in the aws partition. */
function deployedRoleBindings(value: unknown): RoleBinding[] {
  const pseudo: Record<string, string> = { "AWS::AccountId": OWN_ACCOUNT, "AWS::Partition": "aws" };
  const resolve = (part: unknown): string => {
    if (typeof part === "string") return part;
    const ref = (part as { Ref?: string }).Ref;
    if (ref && ref in pseudo) return pseudo[ref] as string;
    throw new Error(`ROLE_BINDINGS depends on ${JSON.stringify(part)}`);
  };
  const text = typeof value === "string" ? value : (value as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1].map(resolve).join("");
  return JSON.parse(text);
}

/** Callers of the environment's placeholder roles, and any principal at all, in `account`. */
const principalsOf = (account: string) => [
  `arn:aws:sts::${account}:assumed-role/fraud-ci-runner/run-1`,
  `arn:aws:sts::${account}:assumed-role/fraud-release-pipeline/run-1`,
  `arn:aws:sts::${account}:assumed-role/ModelRegistryAdmin/alice`,
  `arn:aws:iam::${account}:user/alice`,
  `arn:aws:iam::${account}:root`,
];

describe.each(["dev", "prod"])("%s app", (envName) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(envName);
  }, SYNTH_TIMEOUT);

  /** The function's bundle directory in the cloud assembly: `asset.<hash>`, the hash being its code's key. */
  const assetOf = (name: FunctionName) => {
    const lambdas = s.apiTemplate.findResources("AWS::Lambda::Function");
    return join(s.app.outdir, `asset.${String(lambdas[functionIds(s.apiTemplate)[name]]?.Properties.Code.S3Key).replace(/\.zip$/, "")}`);
  };
  const deployedBeside = (file: string) =>
    (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => existsSync(join(assetOf(name), file)));

  it.runIf(envName === "dev")(
    "deploys the OpenAPI document the route table builds beside the query function's bundle, and beside no other",
    () => {
      expect(deployedBeside(OPENAPI_ASSET)).toEqual(["query"]);
      expect(JSON.parse(readFileSync(join(assetOf("query"), OPENAPI_ASSET), "utf8"))).toEqual(openApiDocument());
    },
  );

  it.runIf(envName === "dev")(
    "deploys Powertools idempotency beside the bundle of each function with write routes, and beside no other",
    () => {
      const writers = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) =>
        routes.some((route) => route.function === name && isWriteRoute(route)),
      );

      expect(deployedBeside(POWERTOOLS_IDEMPOTENCY_MODULE).sort()).toEqual(writers.sort());
    },
  );

  it("builds the table from tableDefinition: keys, every GSI with ALL projection, stream, TTL, PITR, on-demand", () => {
    s.statefulTemplate.resourceCountIs("AWS::DynamoDB::Table", 1);
    s.statefulTemplate.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: key(tableDefinition.partitionKey, tableDefinition.sortKey),
      GlobalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: key(index.partitionKey, index.sortKey),
        Projection: { ProjectionType: "ALL" },
      })),
      StreamSpecification: { StreamViewType: tableDefinition.streamView },
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: "PAY_PER_REQUEST",
    });
  });

  it.runIf(envName === "prod")("retains the prod table and buckets and deletion-protects the table", () => {
    s.statefulTemplate.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    s.statefulTemplate.allResources("AWS::S3::Bucket", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
  });

  it("keeps the artifacts bucket private, encrypted, versioned, logged, without CORS, and aborts stale multipart uploads after 7 days", () => {
    s.statefulTemplate.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      VersioningConfiguration: { Status: "Enabled" },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: "Enabled" })]),
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: Match.anyValue() },
      CorsConfiguration: Match.absent(),
    });
  });

  it("denies every non-TLS request on every bucket", () => {
    const buckets = Object.keys(s.statefulTemplate.findResources("AWS::S3::Bucket"));
    const tlsOnly = s.statefulTemplate.findResources("AWS::S3::BucketPolicy", {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      },
    });
    expect(
      Object.values(tlsOnly)
        .map((policy) => policy.Properties.Bucket.Ref)
        .sort(),
    ).toEqual(buckets.sort());
  });

  it("deploys one arm64 Node.js 22 function with active tracing, Powertools' layer and the environment's settings per FUNCTIONS entry", () => {
    const config = getEnvironmentConfig(envName);
    s.apiTemplate.resourceCountIs("AWS::Lambda::Function", Object.keys(FUNCTIONS).length);
    s.apiTemplate.allResourcesProperties("AWS::Lambda::Function", {
      Architectures: ["arm64"],
      Runtime: "nodejs22.x",
      TracingConfig: { Mode: "Active" },
      Layers: [Match.anyValue()],
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: Match.anyValue(),
          BUCKET_NAME: Match.anyValue(),
          NAMING_POLICY: config.namingPolicy,
          ROLE_BINDINGS: Match.anyValue(),
          POWERTOOLS_SERVICE_NAME: "model-registry",
          POWERTOOLS_TRACE_ENABLED: "true",
        }),
      },
    });
    expect(Object.values(functionIds(s.apiTemplate)).every(Boolean)).toBe(true);
    const layers = Object.values(s.apiTemplate.findResources("AWS::Lambda::Function")).map((f) => JSON.stringify(f.Properties.Layers));
    expect(layers.every((layer) => layer.includes(":094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:"))).toBe(true);
  });

  it("gives Powertools' layer to every function of every stack that traces or records metrics, which load them from it", () => {
    const stacks = [s.stateful, s.api, s.verification, s.events, s.monitoring, s.housekeeping];
    const lambdas = stacks.flatMap((stack) => Object.values(Template.fromStack(stack).findResources("AWS::Lambda::Function")));
    const variables = (lambda: (typeof lambdas)[number]) => lambda.Properties.Environment?.Variables ?? {};
    const usingPowertools = lambdas.filter(
      (lambda) => variables(lambda).POWERTOOLS_METRICS_NAMESPACE || variables(lambda).POWERTOOLS_TRACE_ENABLED === "true",
    );

    expect(usingPowertools.length).toBeGreaterThan(Object.keys(FUNCTIONS).length);
    for (const lambda of usingPowertools)
      expect(JSON.stringify(lambda.Properties.Layers ?? []), lambda.Properties.Description).toContain(
        ":094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:",
      );
  });

  it("grants each function only its FUNCTIONS grants: the store's BatchGetItem to readers, BatchWriteItem to catalog alone, Scan to nobody", () => {
    const ids = functionIds(s.apiTemplate);
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const actions = actionsOf(s.apiTemplate, ids[name]);
      const grants: readonly string[] = spec.grants;
      expect(actions.includes("dynamodb:Query"), name).toBe(grants.includes("readTable"));
      // shared/store/batch-get.ts: lists joined with their versions, registration's lineage and reference counts.
      expect(actions.includes("dynamodb:BatchGetItem"), name).toBe(grants.includes("readTable"));
      expect(actions.includes("dynamodb:PutItem"), name).toBe(grants.includes("writeTable"));
      // shared/store/key-metric-backfill.ts: the one batch write, PATCH /models/{name} in the catalog function.
      expect(actions.includes("dynamodb:BatchWriteItem"), name).toBe(name === "catalog");
      expect(
        actions.filter((action) => action === "dynamodb:Scan" || action.endsWith(":*")),
        name,
      ).toEqual([]);
    }
  });

  it("limits every table action to the partitions its function's routes use (dynamodb:LeadingKeys)", () => {
    const ids = functionIds(s.apiTemplate);
    const writes = ["dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];
    const keyReads = ["dynamodb:BatchGetItem", "dynamodb:GetItem"];
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const grants: readonly string[] = spec.grants;
      const keepsIdempotencyRecords = routes.some((route) => route.function === name && isWriteRoute(route));
      const expected: Record<string, string[]> = {
        "MODEL#*": [
          ...keyReads,
          "dynamodb:Query",
          ...(grants.includes("writeTable") ? writes : []),
          ...(grants.includes("indexKeyMetrics") ? ["dynamodb:BatchWriteItem"] : []),
        ].sort(),
        ...(grants.includes("writeArtifactRefs") ? { "ARTIFACT#*": [...keyReads, ...writes].sort() } : {}),
        ...(keepsIdempotencyRecords
          ? { IDEMPOTENCY: ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"] }
          : {}),
      };
      expect(tableActionsByPartition(s.apiTemplate, ids[name]), name).toEqual(expected);
    }
    // Readers keep no Idempotency-Key records, and stage moves never touch artifact references.
    expect(tableActionsByPartition(s.apiTemplate, ids.query)).not.toHaveProperty("IDEMPOTENCY");
    expect(tableActionsByPartition(s.apiTemplate, ids.lifecycle)).not.toHaveProperty(["ARTIFACT#*"]);
  });

  it("serves artifact downloads from a function that can neither write nor delete anything", () => {
    const download = routes.find((route) => route.operationId === "downloadArtifact");
    const actions = actionsOf(s.apiTemplate, functionIds(s.apiTemplate)[download?.function as FunctionName]);
    expect(actions).toContain("s3:GetObject");
    expect(actions.filter((action) => /^s3:(Put|Delete)|^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action))).toEqual([]);
  });

  it("binds roles to principals of the deploying account only", () => {
    const config = getEnvironmentConfig(envName);
    const variables = Object.values(s.apiTemplate.findResources("AWS::Lambda::Function")).map(
      (fn) => fn.Properties.Environment.Variables.ROLE_BINDINGS,
    );
    for (const value of variables) {
      const bindings = deployedRoleBindings(value);
      expect(bindings.map((binding) => binding.pattern)).toEqual(
        bindings.map(() => expect.stringMatching(new RegExp(`^arn:aws:(sts|iam)::${OWN_ACCOUNT}:`))),
      );
      for (const principal of principalsOf(FOREIGN_ACCOUNT)) expect(rolesOf(principal, bindings), principal).toEqual([]);
      // Each placeholder binding still reaches its callers in the deploying account.
      const ownRoles = new Set(principalsOf(OWN_ACCOUNT).flatMap((principal) => rolesOf(principal, bindings)));
      expect([...ownRoles].sort()).toEqual([...new Set(config.roleBindings.flatMap((binding) => binding.roles))].sort());
    }
  });

  it("grants S3 by intent, object-level actions on the bucket's artifacts/sha256/* keys only", () => {
    const ids = functionIds(s.apiTemplate);
    const s3ActionOf: Record<string, string[]> = {
      presignUploads: ["s3:PutObject"],
      readArtifacts: ["s3:GetObject"],
      deleteArtifacts: ["s3:DeleteObject"],
      abortUploads: ["s3:AbortMultipartUpload"],
    };
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const s3Statements = statementsOf(s.apiTemplate, ids[name]).filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith("s3:") && action !== "s3:ListBucket"),
      );
      const expected = spec.grants.flatMap((grant) => s3ActionOf[grant] ?? []).sort();
      expect(s3Statements.flatMap((statement) => [statement.Action].flat()).sort(), name).toEqual(expected);
      for (const statement of s3Statements) {
        // The stateful stack's bucket ARN (imported), then the content-addressed prefix: no bucket-level resource.
        expect(JSON.stringify(statement.Resource), name).toMatch(
          /^\{"Fn::Join":\["",\[\{"Fn::ImportValue":"[\w-]+:ExportsOutputFnGetAttArtifacts[0-9A-F]+Arn\w*"\},"\/artifacts\/sha256\/\*"\]\]\}$/,
        );
      }
    }
    expect(FUNCTIONS.catalog.grants).toEqual(expect.arrayContaining(["presignUploads", "readArtifacts"]));
  });

  it("lets only the artifacts function list the bucket, under the artifacts/sha256/ prefix", () => {
    const ids = functionIds(s.apiTemplate);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const listings = statementsOf(s.apiTemplate, ids[name]).filter((statement) => [statement.Action].flat().includes("s3:ListBucket"));
      if (name !== "artifacts") {
        expect(listings, name).toEqual([]);
        continue;
      }
      expect(listings).toEqual([
        expect.objectContaining({
          Action: "s3:ListBucket",
          Condition: { StringLike: { "s3:prefix": ["artifacts/sha256/*"] } },
          Resource: { "Fn::ImportValue": expect.stringMatching(/:ExportsOutputFnGetAttArtifacts[0-9A-F]+Arn\w*$/) },
        }),
      ]);
    }
  });

  it("gives the artifacts function API Gateway's 29 s (it hashes nothing), the upload settings and the verification queue", () => {
    const { artifacts } = getEnvironmentConfig(envName);
    s.apiTemplate.hasResourceProperties("AWS::Lambda::Function", {
      Description: FUNCTIONS.artifacts.description,
      MemorySize: 512,
      Timeout: 29,
      Environment: {
        Variables: Match.objectLike({
          UPLOAD_URL_EXPIRY_SECONDS: String(artifacts.uploadUrlExpirySeconds),
          MAX_ARTIFACT_BYTES: String(artifacts.maxArtifactBytes),
          VERIFICATION_QUEUE_URL: Match.anyValue(),
        }),
      },
    });
    const ids = functionIds(s.apiTemplate);
    for (const [name, id] of Object.entries(ids)) {
      const sends = actionsOf(s.apiTemplate, id).includes("sqs:SendMessage");
      expect(sends, name).toBe(name === "artifacts");
    }
  });

  it("routes every entry of the route table, IAM-authorized, to its function", () => {
    s.apiTemplate.resourceCountIs("AWS::ApiGatewayV2::Route", routes.length);
    const template = s.apiTemplate.toJSON();
    const ids = functionIds(s.apiTemplate);
    const routeResources = Object.values(s.apiTemplate.findResources("AWS::ApiGatewayV2::Route"));
    for (const route of routes) {
      const resource = routeResources.find((r) => r.Properties.RouteKey === routeKey(route));
      expect(resource?.Properties.AuthorizationType, routeKey(route)).toBe("AWS_IAM");
      const integrationId = resource?.Properties.Target["Fn::Join"][1][1].Ref;
      const uri = template.Resources[integrationId].Properties.IntegrationUri;
      expect(uri, routeKey(route)).toEqual({ "Fn::GetAtt": [ids[route.function], "Arn"] });
    }
  });

  it("logs every request on the throttled $default stage and outputs the API URL", () => {
    const { throttle } = getEnvironmentConfig(envName);
    s.apiTemplate.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("\\$context\\.requestId") },
      DefaultRouteSettings: { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
    });
    s.apiTemplate.hasOutput("ApiUrl", {});
  });

  it("alarms on each function's errors at the configured threshold", () => {
    s.apiTemplate.resourceCountIs("AWS::CloudWatch::Alarm", Object.keys(FUNCTIONS).length);
    s.apiTemplate.allResourcesProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Errors",
      Namespace: "AWS/Lambda",
      Threshold: getEnvironmentConfig(envName).alarms.functionErrors,
    });
  });

  it(
    "leaves no unacknowledged cdk-nag AwsSolutions finding, error or warning",
    () => {
      // cdk-nag 3 reports through CDK policy validation, not annotations; validateScope returns the same findings.
      const report = new AwsSolutionsChecks().validateScope(s.app);
      const findings = report.violations.map(
        (v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
      );
      expect(findings).toEqual([]);
      for (const stack of [s.stateful, s.api, s.verification] as Stack[]) {
        expect(Annotations.fromStack(stack).findError("*", Match.anyValue())).toEqual([]);
      }
      // Annotations.fromStack synthesizes each stack again, longer with every route (22 s at 28 routes, 38-49 s at 50, measured on a loaded 2-core machine).
    },
    SYNTH_TIMEOUT,
  );

  it("gives every acknowledgement a specific reason", () => {
    const reasons = s.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(0);
    for (const [id, reason] of reasons) expect(reason.length, id).toBeGreaterThanOrEqual(40);
  });
});

describe("the artifacts bucket with browser uploads turned on", () => {
  it("allows PUT with the signed checksum headers from the configured origins only", () => {
    const dev = getEnvironmentConfig("dev");
    const config = { ...dev, artifacts: { ...dev.artifacts, browserUploadOrigins: ["https://ml.example.com"] } };

    const stack = new StatefulStack(new App({ context: cdkContext }), "BrowserUploads", { config });

    Template.fromStack(stack).hasResourceProperties("AWS::S3::Bucket", {
      VersioningConfiguration: { Status: "Enabled" },
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedMethods: ["PUT"],
            AllowedOrigins: ["https://ml.example.com"],
            AllowedHeaders: ["content-type", "x-amz-checksum-sha256", "if-none-match"],
            ExposedHeaders: ["ETag"],
            MaxAge: 3600,
          },
        ],
      },
    });
  });
});

describe("role bindings", () => {
  it.each(ENVIRONMENTS)("%s: every principal pattern is anchored on the deploying account", (envName) => {
    const config = getEnvironmentConfig(envName);

    const bindings = roleBindingsFor(config.roleBindings, OWN_ACCOUNT, "aws");

    for (const { pattern } of bindings) expect(pattern).toMatch(new RegExp(`^arn:aws:(sts|iam)::${OWN_ACCOUNT}:`));
    for (const principal of principalsOf(FOREIGN_ACCOUNT)) expect(rolesOf(principal, bindings), principal).toEqual([]);
  });

  it("refuses an account that is not a 12-digit id, so no wildcard can stand for every account", () => {
    const { roleBindings } = getEnvironmentConfig("prod");
    for (const account of ["*", "", "1111*", "arn:aws:iam::111111111111:root"]) {
      expect(() => roleBindingsFor(roleBindings, account, "aws"), account).toThrow(/12-digit id/);
    }
  });

  it("anchors the bindings on the account the config pins, and on no other", () => {
    const config: EnvironmentConfig = { ...getEnvironmentConfig("prod"), account: OWN_ACCOUNT, region: "eu-west-1" };
    // Bundling is skipped: only the functions' environment is under test.
    const app = new App({ context: { ...cdkContext, "aws:cdk:bundling-stacks": [] } });
    const env = { account: config.account, region: config.region };
    const stateful = new StatefulStack(app, "Stateful", { env, config });
    const resources = { table: stateful.table, artifactsBucket: stateful.artifactsBucket, alarmTopic: stateful.alarmTopic };
    const verification = new VerificationStack(app, "Verification", { env, config, ...resources });

    const api = new ApiStack(app, "Api", { env, config, ...resources, verificationQueue: verification.queue });

    const values = Object.values(Template.fromStack(api).findResources("AWS::Lambda::Function")).map(
      (fn) => fn.Properties.Environment.Variables.ROLE_BINDINGS,
    );
    const bindings = JSON.parse(values[0]);
    expect(new Set(values).size).toBe(1);
    const admin = (account: string) => `arn:aws:sts::${account}:assumed-role/ModelRegistryAdmin/alice`;
    expect(rolesOf(admin(OWN_ACCOUNT), bindings)).toEqual([...ROLES]);
    expect(rolesOf(admin(FOREIGN_ACCOUNT), bindings)).toEqual([]);
  });
});

describe("getEnvironmentConfig", () => {
  it("rejects an unknown environment with the list of valid ones", () => {
    expect(() => getEnvironmentConfig("qa")).toThrow(/Unknown environment "qa": expected one of dev, staging, prod/);
  });
});
