import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import { App, Stack, type IPolicyValidationContextBeta1 } from "aws-cdk-lib";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app";
import { REGISTRY_GUARD_RULES } from "../../infra/policy-checks";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const SYNTH_TIMEOUT = 180_000;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
};

/** Synthesizes one environment (functions not bundled: only the templates are checked); synth itself runs cdk-nag and cfn-guard. */
function synthTemplates(envName: string): string {
  const outdir = mkdtempSync(join(tmpdir(), `registry-policy-${envName}-`));
  outdirs.push(outdir);
  buildApp(envName, new App({ outdir, context: { ...cdkContext, env: envName, "aws:cdk:bundling-stacks": [] } })).app.synth();
  return outdir;
}

const templatePaths = (dir: string) =>
  readdirSync(dir)
    .filter((file) => file.endsWith(".template.json"))
    .map((file) => join(dir, file));
const registryRules = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [REGISTRY_GUARD_RULES] });
const validate = (validator: CfnGuardValidator, paths: string[]) =>
  validator.validate({ templatePaths: paths } as IPolicyValidationContextBeta1);
const resourcesOf = (template: Template, type: string) => Object.values(template.Resources).filter((resource) => resource.Type === type);

interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: "success" | "failure";
  readonly violations: readonly { readonly ruleName: string }[];
}
/** What cfn-guard concluded at synth, acknowledgements applied: CDK writes every plugin's report into the cloud assembly. */
function guardReportOf(outdir: string): PluginReport | undefined {
  const { pluginReports } = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as { pluginReports: PluginReport[] };
  return pluginReports.find((report) => report.pluginName === "cdk-validator-cfnguard");
}

describe.each(["dev", "prod"])("the %s templates", (envName) => {
  let outdir: string;
  beforeAll(() => {
    outdir = synthTemplates(envName);
  }, SYNTH_TIMEOUT);

  it("pass AWS's Control Tower guard rules and the registry's own at synth, with no unacknowledged finding", () => {
    expect(guardReportOf(outdir)).toMatchObject({ conclusion: "success", violations: [] });
  });

  it("pass each of the registry's own rules, run on their own", () => {
    const report = validate(registryRules, templatePaths(outdir));

    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
    expect(templatePaths(outdir)).toHaveLength(6);
  });

  it.runIf(envName === "prod")("tag the prod table, so the prod-only rule applies to it", () => {
    const stateful = JSON.parse(readFileSync(join(outdir, "ModelRegistry-prod-Stateful.template.json"), "utf8")) as Template;
    const [table] = resourcesOf(stateful, "AWS::DynamoDB::Table");
    expect(table?.Properties?.Tags).toContainEqual({ Key: "environment", Value: "prod" });
  });
});

describe("a deliberately broken template", () => {
  let prod: string;
  beforeAll(() => {
    prod = synthTemplates("prod");
  }, SYNTH_TIMEOUT);

  /** Writes a changed copy of one of prod's templates and returns the rule names cfn-guard finds violated. */
  function violationsAfter(stack: string, breakIt: (template: Template) => void): string[] {
    const template = JSON.parse(readFileSync(join(prod, `ModelRegistry-prod-${stack}.template.json`), "utf8")) as Template;
    breakIt(template);
    const path = join(prod, `broken-${stack}.json`);
    writeFileSync(path, JSON.stringify(template));
    return validate(registryRules, [path]).violations.map((violation) => violation.ruleName);
  }

  it("fails when a table or bucket action is granted on '*'", () => {
    const violated = violationsAfter("Api", (template) => {
      const [policy] = resourcesOf(template, "AWS::IAM::Policy");
      policy?.Properties?.PolicyDocument.Statement.push({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" });
    });
    expect(violated).toEqual(["registry_no_wildcard_resource_on_data_actions"]);
  });

  it("fails when a function logs to Lambda's default group or a log group keeps logs forever", () => {
    expect(
      violationsAfter("Api", (template) => delete resourcesOf(template, "AWS::Lambda::Function")[0]?.Properties?.LoggingConfig),
    ).toEqual(["registry_function_log_retention_set"]);
    expect(
      violationsAfter("Events", (template) => delete resourcesOf(template, "AWS::Logs::LogGroup")[0]?.Properties?.RetentionInDays),
    ).toEqual(["registry_function_log_retention_set"]);
  });

  it("fails when the prod table can be deleted with its stack or without deletion protection", () => {
    for (const breakIt of [
      (table: Template["Resources"][string]) => (table.DeletionPolicy = "Delete"),
      (table: Template["Resources"][string]) => (table.UpdateReplacePolicy = "Delete"),
      (table: Template["Resources"][string]) => (table.Properties = { ...table.Properties, DeletionProtectionEnabled: false }),
    ]) {
      expect(violationsAfter("Stateful", (template) => breakIt(resourcesOf(template, "AWS::DynamoDB::Table")[0]!))).toEqual([
        "registry_prod_table_retained",
      ]);
    }
  });

  it("fails when a bucket accepts requests without TLS", () => {
    const violated = violationsAfter("Stateful", (template) => {
      const [policy] = resourcesOf(template, "AWS::S3::BucketPolicy");
      policy!.Properties!.PolicyDocument.Statement = policy!.Properties!.PolicyDocument.Statement.filter(
        (statement: { Effect: string }) => statement.Effect !== "Deny",
      );
    });
    expect(violated).toEqual(["registry_bucket_tls_only"]);
  });

  it(
    "fails synth when a resource breaks a Control Tower rule without an acknowledgement",
    () => {
      const app = new App({
        outdir: mkdtempSync(join(tmpdir(), "registry-policy-unacknowledged-")),
        context: { ...cdkContext, env: "dev", "aws:cdk:bundling-stacks": [] },
      });
      outdirs.push(app.outdir);
      buildApp("dev", app);
      // Private, TLS only and encrypted, as cdk-nag asks, but unversioned and unacknowledged: CT.S3.PR.11.
      new Bucket(new Stack(app, "Extra"), "Unversioned", { enforceSSL: true, serverAccessLogsPrefix: "self/" });

      expect(() => app.synth()).toThrow(/CT\.S3\.PR\.11/);

      const report = guardReportOf(app.outdir);
      expect(report?.conclusion).toBe("failure");
      expect(report?.violations.map((violation) => violation.ruleName)).toContain("s3_bucket_versioning_enabled_check");
    },
    SYNTH_TIMEOUT,
  );
});
