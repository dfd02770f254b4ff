import { mapConcurrently } from "../runs";

/** An object as a listing page shows it. */
export interface ListedObject {
  readonly key: string;
  readonly sizeBytes: number;
}

/** One ListObjectsV2 page: the keys under `prefix` after `startAfter`, in order; `truncated` when more follow. */
export interface ObjectPage {
  readonly objects: readonly ListedObject[];
  readonly truncated: boolean;
}

export interface ObjectLister {
  list(prefix: string, startAfter: string, maxKeys: number): Promise<ObjectPage>;
}

/** What the listing found for a key: the object (undefined when there is none), or "head" when only a HEAD can tell. */
export type Listed = ListedObject | undefined | "head";

/** Keys of a version walked as one run of pages; runs are walked side by side. */
export const KEYS_PER_RUN = 100;
/** S3 returns at most 1,000 keys a page. */
const MAX_PAGE_KEYS = 1000;
/** A page asks for this many keys per key it is to resolve, over the objects per key seen so far (at first, one). */
const PAGE_MARGIN = 1.25;
/**
 * A run whose pages would resolve fewer keys than this per 1,000 listed stops listing: its remaining
 * keys get a HEAD each. S3 charges a LIST as 12.5 HEADs, and in a bucket that dense pages would
 * follow one another where HEADs run side by side.
 */
export const LISTING_PAYS_FROM = 13;

/**
 * Which of `keys` the bucket holds, and with what size, from ListObjectsV2 pages rather than one HEAD
 * per key. The keys are sorted and cut into runs of KEYS_PER_RUN walked side by side (`inFlight`
 * pages at once). A run's page starts just before its first key not yet resolved (`StartAfter`, under
 * the run's common prefix); it resolves every key up to its last one (listed: there, with its size;
 * not listed: absent), or all of the run's keys when it is the last page. A page asks for as many keys
 * as the run has left, times the objects per resolved key its last page saw, plus a margin: a page
 * past the run's last key lists objects nobody asked about. When pages resolve too few keys (fewer
 * than LISTING_PAYS_FROM per 1,000 listed, or none), the run's remaining keys are "head". Listing is
 * strongly consistent in S3, as HEAD is: an object whose upload succeeded is listed.
 */
export async function listKeys(lister: ObjectLister, keys: readonly string[], inFlight: number): Promise<Map<string, Listed>> {
  const sorted = [...new Set(keys)].sort(byUtf8);
  const runs = Array.from({ length: Math.ceil(sorted.length / KEYS_PER_RUN) }, (_, i) =>
    sorted.slice(i * KEYS_PER_RUN, (i + 1) * KEYS_PER_RUN),
  );
  const walked = await mapConcurrently(runs, inFlight, (run) => walkRun(lister, run));
  return new Map(walked.flat());
}

async function walkRun(lister: ObjectLister, run: readonly string[]): Promise<[string, Listed][]> {
  const prefix = commonPrefix(run);
  const found: [string, Listed][] = [];
  let objectsPerKey = 1;
  while (found.length < run.length) {
    const left = run.slice(found.length);
    const maxKeys = Math.min(MAX_PAGE_KEYS, Math.ceil(left.length * objectsPerKey * PAGE_MARGIN));
    const page = await lister.list(prefix, justBefore(left[0] as string), maxKeys);
    const listed = new Map(page.objects.map((object) => [object.key, object]));
    const last = page.objects.at(-1)?.key;
    const resolved = left.filter((key) => !page.truncated || (last !== undefined && byUtf8(key, last) <= 0));
    for (const key of resolved) found.push([key, listed.get(key)]);
    objectsPerKey = page.objects.length / Math.max(resolved.length, 1);
    const tooSparse = resolved.length === 0 || objectsPerKey * LISTING_PAYS_FROM > MAX_PAGE_KEYS;
    if (found.length < run.length && tooSparse) for (const key of run.slice(found.length)) found.push([key, "head"]);
  }
  return found;
}

/** A key listed before `key` and after none that could sort between them in a content-addressed prefix: `key` less its last character. */
export const justBefore = (key: string): string => key.slice(0, -1);

/** S3 lists keys in UTF-8 binary order. */
export const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function commonPrefix(keys: readonly string[]): string {
  const first = keys[0] ?? "";
  const last = keys.at(-1) ?? "";
  let length = 0;
  while (length < first.length && first[length] === last[length]) length++;
  return first.slice(0, length);
}
