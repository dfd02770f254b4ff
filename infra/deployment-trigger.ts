import { Rule, type EventPattern, type IEventBus, type IRuleTarget } from "aws-cdk-lib/aws-events";
import { Construct } from "constructs";
import { DETAIL_TYPES, EVENT_SOURCE } from "../shared/events/model-events";
import type { AssignedStage } from "../shared/schemas/version";

export interface DeploymentTriggerProps {
  /** The registry's bus (the stateful stack's). */
  readonly bus: IEventBus;
  /** The model whose versions are deployed. */
  readonly model: string;
  /** The stage whose new occupant is deployed. */
  readonly stage: AssignedStage;
  /** What runs the deployment: any EventBridge target (Step Functions, Lambda, SQS, CodePipeline…); it receives the whole event. */
  readonly target: IRuleTarget;
}

/**
 * "When a version of model X enters stage S, start target T" (docs/events.md, Rules): a rule on the registry's
 * bus matching `Model Version Stage Changed` events with that model and `toStage`. A rollback is a
 * move into Production too, so it redeploys the version it restores.
 */
export class DeploymentTrigger extends Construct {
  readonly rule: Rule;

  /** The pattern the rule matches; the same pattern works in the local bus's rules.json with `detail-type` spelled out. */
  static eventPattern(model: string, stage: AssignedStage): EventPattern {
    return { source: [EVENT_SOURCE], detailType: [DETAIL_TYPES.STAGE_CHANGED], detail: { model: [model], toStage: [stage] } };
  }

  constructor(scope: Construct, id: string, props: DeploymentTriggerProps) {
    super(scope, id);
    this.rule = new Rule(this, "Rule", {
      eventBus: props.bus,
      description: `Deploys ${props.model} when a version enters ${props.stage}`,
      eventPattern: DeploymentTrigger.eventPattern(props.model, props.stage),
      targets: [props.target],
    });
  }
}
