import { modelPartition } from "../keys";
import type { Write } from "../writes";

/**
 * A model's ticket counter: the changes that lost a commit to another process take a number here
 * and wait for it (see table-turns.ts), instead of all re-planning and colliding again. How far the
 * queue has been served is kept on the model item (`turnsServed`), so the read that plans a change
 * is the read that finds its turn. Tickets only schedule: the model's revision still decides every
 * commit. The item is never deleted, not even with its model (the tombstone keeps `turnsServed`).
 */
export const TURN_TICKETS_ENTITY = "turnTickets";
const SCHEMA_VERSION = 1;

export const turnTicketsKey = (name: string) => ({ pk: modelPartition(name), sk: "TURNS" });

/** Takes the model's next ticket: an atomic ADD, which no other write can make fail. The new count is the ticket. */
export const takeTicket = (name: string): NonNullable<Write["Update"]> & { ReturnValues: "UPDATED_NEW" } => ({
  Key: turnTicketsKey(name),
  UpdateExpression: "ADD taken :one SET entity = :entity, schemaVersion = :schemaVersion",
  ExpressionAttributeValues: { ":one": 1, ":entity": TURN_TICKETS_ENTITY, ":schemaVersion": SCHEMA_VERSION },
  ReturnValues: "UPDATED_NEW",
});

/** The ticket in a `takeTicket` answer. */
export const ticketTaken = (attributes: Record<string, unknown> | undefined): number => Number(attributes?.taken);
