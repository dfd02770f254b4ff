import * as z from "../zod";
import { maxEntries, modelName, namedMap, storableNumber } from "./common";
import { metricName, stageName } from "./version";
import { GATED_STAGES, isMoveAllowed } from "../domain/lifecycle";
import type { StageGate } from "../domain/policy";
import { findStage, unknownStage } from "../domain/model-uri";
import { ROLES } from "../domain/permissions";
import { settableAlias } from "./alias";

const tagKey = /* @__PURE__ */ z.onFirstUse(() => z.string().check(z.minLength(1), z.maxLength(128)));

/**
 * The rules of each kind a gate holds at most. PUT stores the policy in one item and its history entry
 * keeps the policy before and after: 1,400 metric bounds of the longest names made the next PUT exceed
 * DynamoDB's 400 KB (a 500). At these bounds, with the longest spellings, a policy is about 150 KB and
 * its entry 300 KB; a version carries at most 50 tags, so a gate could not require more anyway.
 */
const MAX_RULES_PER_KIND = 50;

const metricBounds = (description: string, example: Record<string, number>) =>
  z
    .optional(namedMap(metricName, storableNumber).check(maxEntries(MAX_RULES_PER_KIND, `at most ${MAX_RULES_PER_KIND} metrics`)))
    .register(z.globalRegistry, { description, example });

/** The rules a version must meet to enter one stage (the domain's StageGate): every rule is optional. */
export const stageGate = /* @__PURE__ */ z.onFirstUse(
  () =>
    z.strictObject({
      minMetrics: metricBounds("metric → lowest allowed value", { auc: 0.9 }),
      maxMetrics: metricBounds("metric → highest allowed value", { latency_p99_ms: 50 }),
      requiredTags: z
        .optional(
          z.union([
            z.array(tagKey).check(z.maxLength(MAX_RULES_PER_KIND, `at most ${MAX_RULES_PER_KIND} tags`)),
            namedMap(tagKey, z.string().check(z.maxLength(256))).check(
              maxEntries(MAX_RULES_PER_KIND, `at most ${MAX_RULES_PER_KIND} tags`),
            ),
          ]),
        )
        .register(z.globalRegistry, {
          description: "tag keys the version must carry, or key → the value it must have",
          example: { reviewed: "yes" },
        }),
      requireFrom: z
        .optional(
          z.union([
            z.pipe(
              stageName,
              z.transform((from) => [from]),
            ),
            z.array(stageName).check(z.minLength(1)),
          ]),
        )
        .register(z.globalRegistry, { description: "the stage(s) the version must come from; Production defaults to Staging" }),
      separateApprover: z
        .optional(z.boolean())
        .register(z.globalRegistry, { description: "the caller moving the version must not be its creator" }),
      requiredApprovals: z
        .optional(
          z.strictObject({
            count: z.int().check(z.gte(1), z.lte(10)),
            roles: z.optional(z.array(z.enum(ROLES)).check(z.minLength(1))),
            distinctFromCreator: z.optional(z.boolean()),
            distinctFromPromoter: z.optional(z.boolean()),
          }),
        )
        .register(z.globalRegistry, {
          description:
            "approvals recorded for this stage (POST …/versions/{v}/approvals) the version needs: count, from approvers holding one of roles, " +
            "the creator's own not counting unless distinctFromCreator is false, the mover's own not counting if distinctFromPromoter is true; " +
            "a standing rejection refuses the move",
          example: { count: 2, distinctFromCreator: true },
        }),
    }) satisfies z.ZodMiniType<StageGate, unknown>,
);

const PROTECTED_ALIASES = "protectedAliases";

/** A model's promotion policy: one gate per target stage, and its protected aliases. PUT replaces the whole policy. */
const policyGates = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    Staging: z.optional(stageGate),
    Production: z.optional(stageGate),
    [PROTECTED_ALIASES]: z.optional(z.array(settableAlias).check(z.maxLength(50))).register(z.globalRegistry, {
      description: "aliases whose moves and removal need the admin role or an approval of the version for alias:<alias>",
      example: ["champion"],
    }),
  }),
);

/**
 * A policy as stored: the gates keyed by stage names in any case (`production` is Production), as
 * stage names are everywhere else. Read without the PUT's refusal of impossible gates, so that one
 * stored before such a gate was refused stays readable: its model still answers, and a PUT replaces it.
 */
export const storedPolicy = /* @__PURE__ */ z.onFirstUse(() => z.pipe(z.transform(gatesSpelledAnyCase), z.built(policyGates)));

/** A policy as a PUT takes it: a gate no version could pass is refused. */
export const policyBody = /* @__PURE__ */ z.onFirstUse(() => z.built(storedPolicy).check(refuseImpossibleGates, refuseRepeatedEntries));
export type PromotionPolicy = z.output<typeof policyBody>;

/**
 * A gate no version could pass is refused when it is set, not found out at the first promotion it
 * blocks: a metric whose lowest allowed value is above its highest, or a gate that requires versions
 * to come only from stages no transition leaves for the stage it guards (the stage itself; for
 * Production, anything but Staging: Archived → Production is the rollback's, which no gate checks).
 */
function refuseImpossibleGates(payload: z.core.ParsePayload<z.output<typeof policyGates>>): void {
  for (const stage of GATED_STAGES) {
    const gate = payload.value[stage];
    if (!gate) continue;
    const refuse = (path: (string | number)[], message: string) =>
      payload.issues.push({ code: "custom", path: [stage, ...path], message, input: payload.value });
    for (const [metric, lowest] of Object.entries(gate.minMetrics ?? {})) {
      const highest = gate.maxMetrics && Object.hasOwn(gate.maxMetrics, metric) ? gate.maxMetrics[metric] : undefined;
      if (highest !== undefined && lowest > highest)
        refuse(["minMetrics", metric], `${metric} at least ${lowest} and at most ${highest}: no version can enter ${stage}`);
    }
    if (gate.requireFrom && !gate.requireFrom.some((from) => isMoveAllowed(from, stage)))
      refuse(
        ["requireFrom"],
        `a version never moves from ${gate.requireFrom.join(" or ")} to ${stage}: require the stage(s) it comes from`,
      );
  }
}

/**
 * A list that names the same alias, tag, stage or role twice is refused, as a mistake said at once:
 * the second says nothing, and a policy sent again must compare equal to the one stored.
 */
function refuseRepeatedEntries(payload: z.core.ParsePayload<z.output<typeof policyGates>>): void {
  const lists: [(string | number)[], readonly string[] | undefined][] = [[[PROTECTED_ALIASES], payload.value[PROTECTED_ALIASES]]];
  for (const stage of GATED_STAGES) {
    const gate = payload.value[stage];
    if (!gate) continue;
    if (Array.isArray(gate.requiredTags)) lists.push([[stage, "requiredTags"], gate.requiredTags]);
    lists.push([[stage, "requireFrom"], gate.requireFrom], [[stage, "requiredApprovals", "roles"], gate.requiredApprovals?.roles]);
  }
  for (const [path, list] of lists) {
    const repeated = list?.findIndex((entry, i) => list.indexOf(entry) !== i) ?? -1;
    if (repeated !== -1)
      payload.issues.push({
        code: "custom",
        path: [...path, repeated],
        message: `'${list?.[repeated]}' is listed twice: list it once`,
        input: payload.value,
      });
  }
}

function gatesSpelledAnyCase(input: unknown, ctx: z.core.ParsePayload): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const gates: Record<string, unknown> = {};
  for (const [key, gate] of Object.entries(input)) {
    if (key === PROTECTED_ALIASES) {
      gates[key] = gate;
      continue;
    }
    const stage = findStage(key, GATED_STAGES);
    if (stage && !Object.hasOwn(gates, stage)) gates[stage] = gate;
    else
      ctx.issues.push({
        code: "custom",
        path: [key],
        message: stage ? `the ${stage} gate is given twice` : `${unknownStage(key, GATED_STAGES)}: a policy has a gate for each of them`,
        input,
      });
  }
  return gates;
}

export const policyPath = /* @__PURE__ */ z.onFirstUse(() => z.object({ name: modelName }));

export const policyView = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(policyGates), {
    model: z.string(),
    revision: z.int().register(z.globalRegistry, { description: "Bumped by every PUT; 0 while the model has no policy" }),
    updatedAt: z.optional(z.string()),
    updatedBy: z.optional(z.string()),
  }),
);
export type PolicyView = z.infer<typeof policyView>;
