/**
 * The outbox: every committed change writes a history item (./entities/history.ts) in its
 * transaction, and the publisher announces the stream's new history items. Apart from the entity
 * module, so that the publisher builds none of the stored items' or the API's schemas.
 */
export const HISTORY_ENTITY = "history";
