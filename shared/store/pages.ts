import { createHash } from "node:crypto";
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { ValidationError } from "../domain/errors";
import { tableDefinition } from "./table";

type Key = Record<string, string>;

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/**
 * Cursors are opaque to callers; inside, the key of the last item returned and a digest of the listing
 * it belongs to. The digest, not the scope: a scope holds the listing's filters (20 tag values of any
 * length), and the cursor must stay one a request can carry back.
 */
export function encodeCursor(scope: string, key: Key): string {
  return Buffer.from(JSON.stringify({ s: scopeDigest(scope), k: key })).toString("base64url");
}

const scopeDigest = (scope: string) => createHash("sha256").update(scope).digest("base64url");

export function decodeCursor(scope: string, cursor: string | undefined): Key | undefined {
  if (cursor === undefined) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (isCursor(decoded) && decoded.s === scopeDigest(scope)) return decoded.k;
  } catch {
    // fall through to the one error below
  }
  throw invalidCursor();
}

function isCursor(value: unknown): value is { s: unknown; k: Key } {
  if (typeof value !== "object" || value === null || !("k" in value)) return false;
  const key = value.k;
  return typeof key === "object" && key !== null && Object.values(key).every((v) => typeof v === "string");
}

export function invalidCursor(): ValidationError {
  return new ValidationError(
    "The cursor is not valid for this listing: pass nextCursor from the previous page unchanged, with the same filters.",
    [{ path: "cursor", message: "unknown cursor" }],
  );
}

/**
 * A start key must be one this listing could have handed out: exactly the listing's key attributes,
 * inside the partition being queried, with a sort key inside the key condition's prefix or range,
 * every part a key DynamoDB can hold. Anything else would reach DynamoDB as a ValidationException (a 500).
 */
function assertStartKeyFits(
  key: Key,
  input: Pick<QueryCommandInput, "IndexName" | "KeyConditionExpression" | "ExpressionAttributeValues">,
): void {
  const expected = keyAttributes(input.IndexName);
  const [partitionAttribute, sortAttribute] = expected.slice(input.IndexName ? 2 : 0) as [string, string];
  const condition = input.KeyConditionExpression ?? "";
  const valueFor = (pattern: RegExp, group = 1) => {
    const placeholder = pattern.exec(condition)?.[group];
    return placeholder === undefined ? undefined : (input.ExpressionAttributeValues?.[placeholder] as string | undefined);
  };
  const partition = valueFor(new RegExp(`^${partitionAttribute} = (:\\w+)`));
  const sortPrefix = valueFor(new RegExp(`begins_with\\(${sortAttribute}, (:\\w+)\\)`)) ?? "";
  const range = new RegExp(`${sortAttribute} BETWEEN (:\\w+) AND (:\\w+)`);
  const [low, high] = [valueFor(range, 1) ?? "", valueFor(range, 2)];
  const sameAttributes =
    Object.keys(key).length === expected.length &&
    expected.every((name) => Object.hasOwn(key, name) && isKeyValue(key[name] as string, name));
  const inRange = (sortKey: string) => sortKey.startsWith(sortPrefix) && sortKey >= low && (high === undefined || sortKey <= high);
  if (!sameAttributes || key[partitionAttribute] !== partition || !inRange(key[sortAttribute] as string)) throw invalidCursor();
}

const PARTITION_ATTRIBUTES = new Set<string>([
  tableDefinition.partitionKey,
  ...tableDefinition.globalSecondaryIndexes.map((index) => index.partitionKey),
]);

/** DynamoDB's limits on a key attribute's value: not empty, at most 2048 bytes in a partition key, 1024 in a sort key. */
function isKeyValue(value: string, attribute: string): boolean {
  const maxBytes = PARTITION_ATTRIBUTES.has(attribute) ? 2048 : 1024;
  return value.length > 0 && Buffer.byteLength(value) <= maxBytes;
}

function keyAttributes(indexName: string | undefined): string[] {
  const base = [tableDefinition.partitionKey, tableDefinition.sortKey];
  const index = tableDefinition.globalSecondaryIndexes.find((i) => i.indexName === indexName);
  return index ? [...base, index.partitionKey, index.sortKey] : base;
}

const FILTERED_READ_AHEAD = 100;

/** A page to read: `maxExamined` bounds the items a filter may read for it (default: no bound). */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
  readonly scope: string;
  readonly maxExamined?: number;
}

/**
 * Reads one page of `limit` matching items. DynamoDB's Limit counts items read before the filter,
 * so it keeps reading until it holds one item more than the page (proof that more follow), and the
 * cursor is the key of the last item returned: nothing is skipped or repeated across pages. Once
 * `maxExamined` items were read, it stops with what matched so far, maybe nothing, and a cursor to
 * the last item read: a page is never cut short without one while items remain. An item `read` answers
 * undefined for is left out, as one the filter does not match.
 */
export function queryPage<T>(
  dynamo: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, "Limit" | "ExclusiveStartKey">,
  page: PageRequest,
  read: (item: Record<string, unknown>) => T | undefined,
): Promise<Page<T>> {
  return queryJoinedPage(dynamo, input, page, { ...eachRead(read), filters: input.FilterExpression !== undefined });
}

/**
 * A join that reads each item with `read`, then presents the batch read together (with what it
 * reads of them, in one go: a model's latest versions, a run's versions): unfiltered.
 */
export const readThenPresent = <R, T>(
  read: (item: Record<string, unknown>) => R,
  present: (values: R[]) => Promise<(T | undefined)[]>,
): PageJoin<T> => ({
  join: (items) => present(items.map(read)),
  filters: false,
});

/** A join that only reads each item as it is (queryPage's): unfiltered unless said otherwise. */
export const eachRead = <T>(read: (item: Record<string, unknown>) => T | undefined): PageJoin<T> =>
  readThenPresent(read, async (values) => values);

/** How a joined page turns the items read into its own, in order, undefined for an item that does not match. */
export interface PageJoin<T> {
  readonly join: (items: Record<string, unknown>[]) => Promise<(T | undefined)[]>;
  /** Whether many items read may not match: the page then reads ahead in larger steps. */
  readonly filters: boolean;
}

/**
 * queryPage for items that lead to others (an index item to the version it lists): each batch read
 * is joined at once, and the cursor is the key of the last item read whose join is returned.
 */
export async function queryJoinedPage<T>(
  dynamo: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, "Limit" | "ExclusiveStartKey">,
  page: PageRequest,
  { join, filters }: PageJoin<T>,
): Promise<Page<T>> {
  const collected: Collected<T>[] = [];
  let collectedBytes = 0;
  const cursorKey = decodeCursor(page.scope, page.cursor);
  if (cursorKey) assertStartKeyFits(cursorKey, input);
  let startKey: QueryCommandInput["ExclusiveStartKey"] = cursorKey;
  const readLimit = filters ? Math.max(page.limit + 1, FILTERED_READ_AHEAD) : page.limit + 1;
  let unexamined = page.maxExamined ?? Number.POSITIVE_INFINITY;
  do {
    const limit = Math.min(readLimit, unexamined);
    const output = await dynamo.send(new QueryCommand({ ...input, Limit: limit, ExclusiveStartKey: startKey }));
    const items = output.Items ?? [];
    const values = await join(items);
    items.forEach((item, i) => {
      const value = values[i];
      if (value === undefined) return;
      const bytes = Buffer.byteLength(JSON.stringify(value));
      collected.push({ item, value, bytes });
      collectedBytes += bytes;
    });
    unexamined -= output.ScannedCount ?? limit;
    startKey = output.LastEvaluatedKey;
  } while (startKey && collected.length <= page.limit && collectedBytes <= MAX_PAGE_BYTES && unexamined > 0);

  const values = collected.map(({ value }) => value);
  const length = pageLength(collected, page.limit);
  if (length === collected.length)
    return { items: values, ...(startKey && { nextCursor: encodeCursor(page.scope, keyOf(startKey, input.IndexName)) }) };
  const last = collected[length - 1]?.item ?? {};
  return { items: values.slice(0, length), nextCursor: encodeCursor(page.scope, keyOf(last, input.IndexName)) };
}

/** An item read that the page may hold: its value, and that value's bytes as JSON. */
interface Collected<T> {
  readonly item: Record<string, unknown>;
  readonly value: T;
  readonly bytes: number;
}

/**
 * The bytes of JSON a page holds at most. Its answer leaves Lambda, which returns at most 6 MB, as a
 * JSON string within JSON, where each quote and backslash takes two bytes: 2 MiB of items stays
 * within that however they are spelled. An item has at most 400 KB, so a page holds at least 5.
 */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;

/** How many of the items collected, in order, a page holds: at most `limit`, and as many as fit its bytes (at least one). */
function pageLength(collected: readonly Pick<Collected<unknown>, "bytes">[], limit: number): number {
  let bytes = 0;
  const over = collected.findIndex((entry, i) => {
    bytes += entry.bytes;
    return i === limit || (i > 0 && bytes > MAX_PAGE_BYTES);
  });
  return over === -1 ? collected.length : over;
}

/** How many of these values, in order, a page of a listing built in memory holds: at most `limit`, and as many as fit its bytes as JSON (at least one). */
export function fittingLength(values: readonly unknown[], limit = Number.POSITIVE_INFINITY): number {
  return pageLength(
    values.map((value) => ({ bytes: Buffer.byteLength(JSON.stringify(value)) })),
    limit,
  );
}

/** The key of an item (or a LastEvaluatedKey) as a cursor holds it: the table's and the index's key attributes. */
function keyOf(item: Record<string, unknown>, indexName: string | undefined): Key {
  return Object.fromEntries(keyAttributes(indexName).map((name) => [name, String(item[name])]));
}
