import { SQSClient } from "@aws-sdk/client-sqs";

/** The SQS client of the functions that send verification tasks or dead letters (shared/artifacts-composition.ts, shared/events/composition.ts). */
export const sqs = new SQSClient({ region: process.env.AWS_REGION, maxAttempts: 3 });
