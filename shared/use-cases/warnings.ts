/** The view with the naming policy's warnings (warn mode), or as it is when there are none. */
export function withWarnings<T extends object>(view: T, warnings: string[]): T & { warnings?: string[] } {
  return warnings.length > 0 ? { ...view, warnings } : view;
}
