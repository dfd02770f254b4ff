import { stat } from "node:fs/promises";
import { dirname } from "node:path";

/** `path`, or its nearest ancestor that exists: what a `mkdir -p` of it would build on. */
export async function deepestExisting(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    if ((await stat(current).catch(() => undefined)) || dirname(current) === current) return current;
  }
}
