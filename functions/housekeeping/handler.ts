import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context, ScheduledEvent } from "aws-lambda";
import { buildHousekeepingDeps } from "../../shared/housekeeping-composition";
import { DEFAULT_HOUSEKEEPING_SETTINGS } from "../../shared/config";
import { composeProcess } from "../../shared/http/api-handler";
import { tracingOf } from "../../shared/tracing";
import { runHousekeeping, type HousekeepingRun } from "../../shared/use-cases/housekeeping";

const { config, logger, metrics, deps } = composeProcess(buildHousekeepingDeps);

/**
 * Housekeeping (docs/lifecycle.md, Retention): on its schedule, applies models' retention rules
 * within the run's bounds. A model whose rules failed to apply fails the invocation (the function's
 * error alarm) after every other model had its turn; the next run tries it first.
 */
export const handler = middy<ScheduledEvent, HousekeepingRun>()
  .use(tracingOf(config).middleware)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(metrics?.flushing ?? [])
  .handler(async (_event: ScheduledEvent, context: Context) => {
    const run = await runHousekeeping(deps, config.housekeeping ?? DEFAULT_HOUSEKEEPING_SETTINGS, context.awsRequestId);
    for (const { model, deleted, failure } of run.models) {
      if (failure) logger.error("Housekeeping could not apply a model's retention rules", { model, failure });
      else logger.info("Housekeeping applied a model's retention rules", { model, deleted });
    }
    const failed = run.models.filter((m) => m.failure).map((m) => m.model);
    if (failed.length > 0) throw new Error(`Housekeeping failed for ${failed.join(", ")}; see the log entries above`);
    return run;
  });
