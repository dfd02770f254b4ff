/** `{ field: { from, to } }` for each field whose content differs (a map's key order is no change): the audit trail's before/after. */
export function describeChanges<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[],
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of fields) {
    if (!sameContent(before[field], after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}

/** Whether two values hold the same content: a map's key order is no difference. */
export const sameContent = (a: unknown, b: unknown): boolean => contentOf(a) === contentOf(b);

/** A value as JSON with every object's keys sorted: two maps of the same entries read alike whatever order they were written in. */
function contentOf(value: unknown): string | undefined {
  return JSON.stringify(value, (_, nested: unknown) =>
    nested !== null && typeof nested === "object" && !Array.isArray(nested)
      ? Object.fromEntries(Object.entries(nested).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : nested,
  );
}
