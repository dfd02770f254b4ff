import { EventBridgeClient } from "@aws-sdk/client-eventbridge";

/** The publisher's EventBridge client (shared/events/composition.ts), nothing around it. */
export const eventBridge = new EventBridgeClient({ region: process.env.AWS_REGION, maxAttempts: 3 });
