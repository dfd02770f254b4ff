import { ModelNotFoundError } from "../domain/errors";
import { hasRules, type RetentionRules } from "../domain/retention";
import { deleteRetention, newRetentionItem, putRetention, toRetentionView } from "../store/entities/retention";
import type { RetentionView } from "../schemas/retention";
import type { Actor, RetentionDeps } from "./deps";
import { requireModel } from "./resolve";
import { unchanged } from "../store/model-change";
import { sameContent } from "./describe-changes";

/**
 * Replaces a model's retention rules (docs/lifecycle.md, Retention); `{}` removes them.
 * 1. read the model (404 when absent) and its rules;
 * 2. one transaction: the rules (or their removal) and a MODEL_UPDATED entry `{ retention: { from, to } }`;
 *    nothing when they equal the rules stored (`{}` for a model without any). New rules are
 *    applied by the next housekeeping run before models it already visited.
 */
export async function putRetentionRules(deps: RetentionDeps, name: string, rules: RetentionRules, who: Actor): Promise<RetentionView> {
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const before = await deps.retentionReads.getRetention(name);
    const item = hasRules(rules) ? newRetentionItem({ model: name, rules, actor: who.actor, now }) : undefined;
    if (sameContent(before?.rules ?? null, item?.rules ?? null)) return unchanged(toRetentionView(name, before));
    return {
      model: current,
      writes: [{ write: item ? putRetention(item) : deleteRetention(name) }],
      history: [{ action: "MODEL_UPDATED", changes: { retention: { from: before?.rules ?? null, to: item?.rules ?? null } } }],
      result: () => toRetentionView(name, item),
    };
  });
}

/** A model's retention rules: none while it has none (404 ModelNotFound when the model does not exist). */
export async function getRetentionRules(deps: RetentionDeps, name: string): Promise<RetentionView> {
  const item = await deps.retentionReads.getRetention(name);
  if (!item) await requireModel(deps, name);
  return toRetentionView(name, item);
}
