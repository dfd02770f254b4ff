import type { AssignedStage } from "../domain/model-uri";
import { toVersionView } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { VersionView } from "../schemas/version";
import type { ListingDeps } from "./deps";
import { ofModelsInService } from "./models-in-service";

/** Every model's versions in a stage (deployment dashboards), in model name then version order; none of a model being deleted. */
export async function listStageVersions(
  deps: ListingDeps,
  stage: AssignedStage,
  page: { limit: number; cursor?: string },
): Promise<Page<VersionView>> {
  const result = await deps.listings.stage(stage, page);
  return { items: (await ofModelsInService(deps, result.items)).map(toVersionView), nextCursor: result.nextCursor };
}
