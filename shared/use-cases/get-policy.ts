import { toPolicyView } from "../store/entities/policy";
import type { PolicyView } from "../schemas/policy";
import type { PromotionDeps } from "./deps";
import { requireModel } from "./resolve";

/** A model's promotion policy: revision 0 and no gates while it has none (404 ModelNotFound when the model does not exist). */
export async function getPolicy(deps: PromotionDeps, name: string): Promise<PolicyView> {
  const item = await deps.promotionReads.getPolicy(name);
  if (!item) await requireModel(deps, name);
  return toPolicyView(name, item);
}
