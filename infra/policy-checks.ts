import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import {
  Validations,
  type App,
  type IPolicyValidationContextBeta1,
  type IPolicyValidationPluginBeta1,
  type PolicyValidationPluginReportBeta1,
} from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { fileURLToPath } from "node:url";

/** The registry's own cfn-guard rules: no `*` on table or bucket actions, log retention, the prod table retained, TLS-only buckets. */
export const REGISTRY_GUARD_RULES = fileURLToPath(new URL("registry.guard", import.meta.url));

/**
 * AWS Control Tower rules that do not fit this project anywhere, by rule file. A rule that fits
 * most resources stays on and is acknowledged on the few it does not fit (`acknowledgeGuardRule`).
 */
const NOT_APPLICABLE_GUARD_RULES: Record<string, string> = {
  "ct-lambda-pr-3":
    "The functions call only AWS APIs over TLS with IAM; there is no VPC resource to reach, and a VPC would add NAT or endpoint costs.",
  "ct-lambda-pr-2":
    "False positive: each API route's invoke permission names its execute-api ARN as SourceArn (an Fn::Join), which this rule only accepts as a literal or a Ref.",
  "ct-cloudwatch-pr-2":
    "Log retention is each environment's choice (logRetention in infra/config.ts); registry.guard checks that every log group sets one.",
  "ct-cloudwatch-pr-3":
    "CloudWatch Logs encrypts every log group at rest; the handlers log request ids, routes and callers, nothing that calls for a customer-managed key.",
};

/**
 * The checks every synth runs, as CDK policy-validation plugins: an unacknowledged finding fails
 * `cdk synth` and the tests. cdk-nag's AwsSolutions rules; cfn-guard with AWS's Control Tower rules
 * (binary and rules ship in @cdklabs/cdk-validator-cfnguard, nothing is downloaded) and ours.
 */
export function addPolicyChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new GuardFindingsAreErrors(
      new CfnGuardValidator({ rules: [REGISTRY_GUARD_RULES], disabledRules: Object.keys(NOT_APPLICABLE_GUARD_RULES) }),
    ),
  );
}

/**
 * cdk-validator-cfnguard reports its findings without a severity, and once the app acknowledges any
 * finding CDK counts only `error` and `fatal` ones as failures: an unacknowledged guard finding would
 * pass synth. Each finding is an error here. The name stays the plugin's, which acknowledgements use.
 */
class GuardFindingsAreErrors implements IPolicyValidationPluginBeta1 {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];

  constructor(private readonly guard: CfnGuardValidator) {
    this.name = guard.name;
    this.version = guard.version;
    this.ruleIds = guard.ruleIds;
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const report = this.guard.validate(context);
    return { ...report, violations: report.violations.map((violation) => ({ ...violation, severity: violation.severity ?? "error" })) };
  }
}

/** Accepts one Control Tower guard rule (its rule name, e.g. `sqs_dlq_check`) for `scope` and what it contains, for a stated reason. */
export function acknowledgeGuardRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}
