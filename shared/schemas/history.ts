import * as z from "../zod";
import { HISTORY_ACTIONS } from "../domain/history";
import { cursor, limit } from "./common";
import { stage, versionSelector } from "./version";

export const historyQuery = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    version: z.optional(versionSelector).register(z.globalRegistry, {
      description:
        "Only entries about this version (a number, v<semver>, a stage or an alias, resolved to the version it names now): " +
        "the one it changed or the one it replaced",
    }),
    limit,
    cursor,
  }),
);

/**
 * History times are UTC ISO strings, compared as text: an instant whose UTC year has other than four
 * digits would not sort among them. (A time that is no instant at all is the format's refusal.)
 */
const inFourDigitYears = (time: string): boolean => {
  const instant = new Date(time);
  return Number.isNaN(instant.getTime()) || /^\d{4}-/.test(instant.toISOString());
};

export const historyAtQuery = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    time: z.iso
      .datetime({ offset: true, error: "time is an ISO 8601 instant, e.g. 2024-01-15T10:30:00Z" })
      .check(
        z.refine(
          inFourDigitYears,
          "time is an instant from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (in UTC, once its offset is applied)",
        ),
      ),
  }),
);

/** One immutable audit entry: who did what, when, under which request, from → to. */
export const historyEntryView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    sequence: z.int().register(z.globalRegistry, { description: "Per model, 1, 2, 3… in commit order" }),
    eventId: z.string(),
    action: z.enum(HISTORY_ACTIONS),
    actor: z.string(),
    occurredAt: z.string(),
    requestId: z.string(),
    version: z.optional(z.int()),
    semver: z.optional(z.string()),
    fromStage: z.optional(stage),
    toStage: z.optional(stage),
    previousVersion: z.optional(z.int()),
    alias: z.optional(z.string()),
    reason: z.optional(z.string()),
    artifact: z.optional(z.object({ uri: z.string(), sha256: z.string(), sizeBytes: z.int() })),
    changes: z.optional(z.record(z.string(), z.unknown())),
    approvers: z
      .optional(z.array(z.string()))
      .register(z.globalRegistry, { description: "A move past a gate that requires approvals: the approvers whose approvals counted" }),
  }),
);
export type HistoryEntryView = z.infer<typeof historyEntryView>;

export const historyPage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ items: z.array(historyEntryView), nextCursor: z.optional(z.string()) }),
);

/** Which version held each stage and alias at one instant, replayed from the audit trail. */
export const stagesAtView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    time: z.string(),
    stages: z.object({ Production: z.optional(z.int()), Staging: z.array(z.int()) }),
    aliases: z.record(z.string(), z.int()),
  }),
);
export type StagesAtView = z.infer<typeof stagesAtView>;
