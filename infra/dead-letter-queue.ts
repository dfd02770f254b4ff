import { Duration, Validations } from "aws-cdk-lib";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "./config";
import { acknowledgeGuardRule } from "./policy-checks";

/**
 * A dead-letter queue: encrypted, TLS only, messages kept 14 days, removed or retained as the
 * environment says. It has no dead-letter queue of its own: cdk-nag's and cfn-guard's rules asking
 * for one are acknowledged with `whatItHolds`.
 */
export function deadLetterQueue(scope: Construct, id: string, config: EnvironmentConfig, whatItHolds: string): Queue {
  const queue = new Queue(scope, id, {
    enforceSSL: true,
    encryption: QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
    removalPolicy: config.removalPolicy,
  });
  const reason = `This queue is itself a dead-letter queue (${whatItHolds}): a message that lands here is kept 14 days and raises the alarm; nothing consumes it but a human.`;
  Validations.of(queue).acknowledge({ id: "AwsSolutions-SQS3", reason });
  acknowledgeGuardRule(queue, "sqs_dlq_check", reason);
  return queue;
}
