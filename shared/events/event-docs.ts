import * as z from "../zod";
import { eventArtifact, modelEventDetail } from "./model-events";

const field = modelEventDetail.shape;

/**
 * What docs/events.schema.json says of the event's fields: `z.toJSONSchema(modelEventDetail, { metadata: EVENT_DOCS })`.
 * A registry of their own, so that the publisher, which validates with the same schema, does not carry the words.
 */
export const EVENT_DOCS = z.registry<{ title?: string; description?: string }>();

EVENT_DOCS.add(modelEventDetail, { title: "Model registry event detail" });
EVENT_DOCS.add(field.eventId, { description: "Unique per committed change: consumers deduplicate on it (delivery is at least once)" });
EVENT_DOCS.add(field.sequence, {
  description: "Per model, increasing by one with every change of the model: order a model's events by it",
});
EVENT_DOCS.add(field.version, { description: "The version the change is about; absent when an alias was removed or the model deleted" });
EVENT_DOCS.add(field.previousVersion, {
  description:
    "Stage changes into Production: the version that held Production before. Alias changes: the version the alias pointed to before",
});
EVENT_DOCS.add(field.actor, { description: "The verified caller (an IAM ARN in AWS)" });
EVENT_DOCS.add(field.occurredAt, { description: "When the change committed (also the event's time, to the second)" });
EVENT_DOCS.add(eventArtifact.shape.sha256, { description: "Lowercase hex" });
EVENT_DOCS.add(field.artifact, { description: "The bytes a registration, verification or failure is about" });
EVENT_DOCS.add(field.approvers, {
  description: "Stage changes past a gate that requires approvals: the approvers whose approvals counted, in order",
});
