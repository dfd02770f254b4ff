import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { loadConfig } from "../../shared/config";
import { buildPublisherDeps } from "../../shared/events/composition";
import { publishChanges } from "../../shared/events/publish-changes";
import { tracingOf } from "../../shared/tracing";

const config = loadConfig();
const deps = buildPublisherDeps(config);

/**
 * The outbox relay: DynamoDB Streams hands it new history items (the event source mapping filters
 * on them); it announces each on EventBridge and answers with the records to deliver again.
 */
export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(tracingOf(config).middleware)
  .use(injectLambdaContext(deps.logger, { resetKeys: true }))
  .use(deps.metrics.flushing)
  .handler((event) => publishChanges(deps, event.Records));
