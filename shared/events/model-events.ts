import * as z from "../zod";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { STAGES } from "../domain/lifecycle";
import { HISTORY_ACTIONS, type HistoryAction } from "../domain/history";
import { HISTORY_ENTITY } from "../store/outbox";

/** docs/events.md: every event the registry puts on its bus comes from this source. */
export const EVENT_SOURCE = "model-registry";

/** History actions that are announced, and their detail types; every other action publishes nothing. */
export const DETAIL_TYPES = {
  VERSION_REGISTERED: "Model Version Registered",
  VERSION_READY: "Model Version Ready",
  VERSION_FAILED: "Model Version Failed",
  STAGE_CHANGED: "Model Version Stage Changed",
  ALIAS_CHANGED: "Model Alias Changed",
  MODEL_DELETED: "Model Deleted",
} as const satisfies Partial<Record<HistoryAction, string>>;
export type PublishedAction = keyof typeof DETAIL_TYPES;
export type DetailType = (typeof DETAIL_TYPES)[PublishedAction];

/**
 * Which stream records are outbox records: new history items. Lambda filter syntax is EventBridge
 * pattern syntax, so the CDK event source mapping and the local stream tailer share this one pattern.
 */
export const OUTBOX_STREAM_FILTER = {
  eventName: ["INSERT"],
  dynamodb: { NewImage: { entity: { S: [HISTORY_ENTITY] } } },
} as const;

/** `npm run smoke` names its models so (client/smoke.ts): an environment's smoke-events rule matches their events only. */
export const SMOKE_MODEL_PREFIX = "smoke_probe_";

/** The events of smoke-test models: the CDK app's smoke-events rule and the local bus's rules.json share this pattern. */
export const SMOKE_EVENTS_PATTERN = { source: [EVENT_SOURCE], detail: { model: [{ prefix: SMOKE_MODEL_PREFIX }] } };

const stage = z.enum(STAGES);

/** The bytes an event is about. */
export const eventArtifact = z.object({ uri: z.string(), sha256: z.string(), sizeBytes: z.int().check(z.nonnegative()) });

/**
 * The event's `detail` (docs/events.md), exactly the history item's fields of the same names:
 * docs/events.schema.json is generated from this schema and the descriptions in ./event-docs.ts
 * (a test keeps them equal), which the publisher has no use for.
 */
export const modelEventDetail = z.object({
  eventId: z.string().check(z.minLength(1)),
  sequence: z.int().check(z.positive()),
  model: z.string().check(z.minLength(1)),
  version: z.optional(z.int().check(z.positive())),
  semver: z.optional(z.string()),
  fromStage: z.optional(stage),
  toStage: z.optional(stage),
  previousVersion: z.optional(z.int().check(z.positive())),
  alias: z.optional(z.string()),
  actor: z.string().check(z.minLength(1)),
  reason: z.optional(z.string()),
  occurredAt: z.iso.datetime(),
  artifact: z.optional(eventArtifact),
  approvers: z.optional(z.array(z.string())),
});
export type ModelEventDetail = z.infer<typeof modelEventDetail>;

/** A history item as the stream carries it: checked, because a record we cannot read must not pass as an event. */
const historyImage = z.extend(modelEventDetail, { entity: z.literal(HISTORY_ENTITY), action: z.enum(HISTORY_ACTIONS) });

export class MalformedHistoryItemError extends Error {
  override readonly name = "MalformedHistoryItem";
}

/** The PutEvents entry announcing one committed history item, or undefined for actions that publish nothing. */
export function toModelEvent(image: Record<string, unknown>, busName: string): PutEventsRequestEntry | undefined {
  const parsed = historyImage.safeParse(image);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new MalformedHistoryItemError(`History item ${String(image.pk)}/${String(image.sk)} cannot be announced: ${problems}`);
  }
  const { entity: _entity, action, ...detail } = parsed.data;
  if (!(action in DETAIL_TYPES)) return undefined;
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: DETAIL_TYPES[action as PublishedAction],
    Detail: JSON.stringify(detail),
    Resources: resourcesOf(detail),
    Time: new Date(detail.occurredAt),
  };
}

/** Model URIs the event is about: the version, and the alias when an alias moved. */
function resourcesOf(detail: ModelEventDetail): string[] {
  const resources = detail.version === undefined ? [] : [`models:/${detail.model}/${detail.version}`];
  if (detail.alias) resources.push(`models:/${detail.model}@${detail.alias}`);
  return resources;
}

/** PutEvents limits: entries per call, and bytes per call as EventBridge counts them. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_BYTES_PER_CALL = 256 * 1024;

/** An entry's size as EventBridge computes it ("Calculating PutEvents event entry size"). */
export function entrySize(entry: Pick<PutEventsRequestEntry, "Time" | "Source" | "DetailType" | "Detail" | "Resources">): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}
