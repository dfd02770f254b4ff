import { modelPartition } from "../keys";

export const TURN_TICKETS_ENTITY = "turnTickets";
const SCHEMA_VERSION = 1;

/**
 * One item per model: the number of turn tickets handed out. Taking a ticket is an atomic counter
 * update that never conflicts. The model item's `served` says whose turns have ended
 * (store/turn-queue.ts). The item outlives the model's deletion, as the tombstone keeps `served`,
 * so the name's next model numbers its tickets on. A creation whose commit fails (not contention)
 * leaves it under a name with no model item, its turn unrecorded: the name's next creation waits
 * for the queue to count as stalled, once, then records its own ticket as served.
 */
export const turnTicketsKey = (name: string) => ({ pk: modelPartition(name), sk: "TURN_TICKETS" });

/** The update that hands out the next ticket (the first is 1); `issued` comes back as the ticket. */
export const takeTicketUpdate = (name: string) => ({
  Key: turnTicketsKey(name),
  UpdateExpression: "ADD issued :one SET entity = :entity, schemaVersion = :schemaVersion",
  ExpressionAttributeValues: { ":one": 1, ":entity": TURN_TICKETS_ENTITY, ":schemaVersion": SCHEMA_VERSION },
  ReturnValues: "UPDATED_NEW" as const,
});
