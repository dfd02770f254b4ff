import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { buildVerifierDeps } from "../../shared/verifier-composition";
import { composeProcess } from "../../shared/http/api-handler";
import { verificationTask } from "../../shared/schemas/verification-task";
import { tracingOf } from "../../shared/tracing";
import { verifyFile } from "../../shared/use-cases/verify-file";

const { config, logger, metrics, deps } = composeProcess(buildVerifierDeps);

/**
 * The verifier: SQS hands it file verification tasks; each runs one stretch of verifyFile. A task
 * that fails (or whose body is not a task) is answered as a batch item failure: SQS delivers it again,
 * and after the queue's receive limit moves it to the dead-letter queue. A body that is not a task
 * is kept that way rather than dropped: it fails each of its few receives, then waits in the
 * dead-letter queue, whose alarm fires, to be read (a task from a newer deploy can be redriven).
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(tracingOf(config).middleware)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(metrics?.flushing ?? [])
  .handler(async (event) => {
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    for (const record of event.Records) {
      try {
        const task = verificationTask.parse(JSON.parse(record.body));
        const outcome = await verifyFile(deps, task);
        logger.info("Verification task done", { ...task, outcome });
      } catch (error) {
        logger.error("Verification task failed; SQS delivers it again", { messageId: record.messageId, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
