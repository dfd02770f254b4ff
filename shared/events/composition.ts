import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ENVIRONMENT_VARIABLES, type RegistryConfig } from "../config";
import { createLogger } from "../logger";
import { createMetrics, type ProcessMetrics } from "../telemetry";
import { tracingOf } from "../tracing";
import { DeadLetterQueue } from "./dead-letters";
import { EventBus } from "./event-bus";
import type { PublisherDeps } from "./publish-changes";

/**
 * The publisher's dependencies, built once per process. Only the publisher loads the EventBridge
 * and SQS clients. Locally EVENTS_ENDPOINT and the queue URL point at the local bus.
 */
export function buildPublisherDeps(config: RegistryConfig): PublisherDeps & { readonly metrics: ProcessMetrics } {
  const logger = createLogger(config);
  if (!config.deadLetterQueueUrl)
    throw new Error(`Invalid registry configuration: ${ENVIRONMENT_VARIABLES.deadLetterQueueUrl} is required by the events publisher.`);
  const tracing = tracingOf(config);
  return {
    bus: new EventBus(tracing.capture(new EventBridgeClient({ region: config.region, endpoint: config.endpoints.events, maxAttempts: 3 }))),
    // A queue URL names its endpoint (https://sqs.<region>.amazonaws.com/… in AWS, the local bus locally).
    deadLetters: new DeadLetterQueue(
      tracing.capture(new SQSClient({ region: config.region, endpoint: new URL(config.deadLetterQueueUrl).origin, maxAttempts: 3 })),
      config.deadLetterQueueUrl,
    ),
    busName: config.busName,
    now: () => new Date(),
    logger,
    metrics: createMetrics(config, logger),
  };
}
