import { MAX_FILTERS } from "../schemas/version-list";
import { MlflowRefusal } from "./errors";
import { isDerivedTag } from "./mapping";

/**
 * MLflow's search filters, as far as a DynamoDB Query serves them: `<field> <op> <value>` clauses
 * joined by AND, string values in single or double quotes. Anything that would need a Scan is
 * refused with what to write instead.
 */
export interface Clause {
  readonly field: string;
  readonly op: "=" | "!=" | "LIKE" | "ILIKE";
  readonly value: string;
}

const CLAUSE =
  /^\s*(tags\.(?:`[^`]+`|"[^"]+"|[\w.-]+)|name|run_id|source_path|version_number)\s*(=|!=|LIKE|ILIKE)\s*('(?:[^']|'')*'|"[^"]*"|\d+)\s*/i;
const AND = /^AND\b/i;

export function parseFilter(filter: string | undefined): Clause[] {
  const clauses: Clause[] = [];
  let rest = filter?.trim() ?? "";
  while (rest.length > 0) {
    const match = CLAUSE.exec(rest);
    if (!match) throw refusal(`cannot read the filter at "${rest}"`);
    const [whole, field = "", op = "", value = ""] = match;
    clauses.push({ field: unquoteField(field), op: op.toUpperCase() as Clause["op"], value: unquoteValue(value) });
    rest = rest.slice(whole.length);
    if (rest.length > 0) {
      const and = AND.exec(rest);
      if (!and) throw refusal(`expected AND before "${rest}" (OR is not supported)`);
      rest = rest.slice(and[0].length);
      if (rest.trim().length === 0) throw refusal("the filter ends with AND");
    }
  }
  return clauses;
}

const unquoteField = (field: string) =>
  field.toLowerCase().startsWith("tags.") ? `tags.${field.slice(5).replace(/^[`"](.*)[`"]$/, "$1")}` : field.toLowerCase();
const unquoteValue = (value: string) =>
  value.startsWith("'") ? value.slice(1, -1).replaceAll("''", "'") : value.replace(/^"(.*)"$/, "$1");

function refusal(reason: string): MlflowRefusal {
  return new MlflowRefusal(
    "INVALID_PARAMETER_VALUE",
    `Invalid filter: ${reason}. Write clauses such as name = 'fraud_detector', name LIKE 'fraud%', run_id = '…' or tags.team = 'risk', joined by AND.`,
  );
}

/** Model names have at most 64 characters: a longer prefix matches none, and is answered as the name it cannot be. */
const MAX_NAME_LENGTH = 64;

/** What a registered-model search reads: one model by name, or the name-ordered list from a prefix. */
export type ModelSearch = { readonly name: string } | { readonly prefix: string };

/**
 * `name = '…'` is one GetItem; `name LIKE 'prefix%'` (ILIKE too: names are lower case) is one Query on
 * the name-ordered model index. A `%` elsewhere would read every model: refused. `_` is taken
 * literally, not as LIKE's one-character wildcard: it joins the words of model names ('fraud_%').
 */
export function modelSearch(clauses: readonly Clause[]): ModelSearch {
  if (clauses.length === 0) return { prefix: "" };
  const [clause, ...others] = clauses;
  if (others.length > 0 || clause?.field !== "name" || clause.op === "!=")
    throw refusal("registered models are searched by one name clause: name = '…', name LIKE 'prefix%' or name ILIKE 'prefix%'");
  if (clause.op === "=") return { name: clause.value };
  const value = clause.op === "ILIKE" ? clause.value.toLowerCase() : clause.value;
  const prefix = value.endsWith("%") ? value.slice(0, -1) : value;
  if (prefix.includes("%"))
    throw refusal(`'${clause.value}' has a % before its end: only a prefix pattern ('fraud%') is served by the name index`);
  if (prefix.length > MAX_NAME_LENGTH) return { name: prefix };
  return value.endsWith("%") ? { prefix } : { name: prefix };
}

/**
 * What a model-version search reads: one model's versions (its partition) narrowed by run and tags,
 * one run's versions of any model (the run index), or nothing (`none`: a field equal to two values).
 */
export type VersionSearch =
  | { readonly name: string; readonly runId?: string; readonly tags: Record<string, string> }
  | { readonly runId: string }
  | { readonly none: true };

/** Every clause must be an equality naming the model, or the run: either is one Query, the rest filters on it. */
export function versionSearch(clauses: readonly Clause[]): VersionSearch {
  const equal = new Map<string, string>();
  let contradicted = false;
  for (const clause of clauses) {
    if (clause.op !== "=") throw refusal(`${clause.field} ${clause.op} is not supported for model versions; use =`);
    if (clause.field !== "name" && clause.field !== "run_id" && !clause.field.startsWith("tags."))
      throw refusal(`${clause.field} is not a model-version filter here; use name, run_id or tags.<key>`);
    // Shown as tags, but stored as the version's own fields: a filter on them would silently match nothing.
    if (clause.field.startsWith("tags.") && isDerivedTag(clause.field.slice(5)))
      throw refusal(
        `${clause.field} is read-only metadata shown as a tag, not a stored tag: no filter reads it; filter by name and run_id`,
      );
    // Clauses are ANDed: a field equal to two values at once matches no version.
    contradicted ||= (equal.get(clause.field) ?? clause.value) !== clause.value;
    equal.set(clause.field, clause.value);
  }
  const name = equal.get("name");
  const runId = equal.get("run_id");
  const tags = Object.fromEntries(
    [...equal].filter(([field]) => field.startsWith("tags.")).map(([field, value]) => [field.slice(5), value]),
  );
  if (contradicted && (name !== undefined || runId !== undefined)) return { none: true };
  if (Object.keys(tags).length > MAX_FILTERS)
    throw refusal(`at most ${MAX_FILTERS} tags.<key> clauses (DynamoDB caps the filter they become); narrow the search by fewer tags`);
  if (name !== undefined) return { name, runId, tags };
  if (runId === undefined)
    throw refusal(
      "model versions are searched within one model or one run: add name = '<model>' or run_id = '<run>' (a search across every model would read the whole table)",
    );
  if (Object.keys(tags).length > 0)
    throw refusal("a run's versions of every model are not filtered by tags: add name = '<model>' to filter one model's versions by tags");
  return { runId };
}

interface OrderKey {
  readonly clause: string;
  readonly field: string;
  readonly descending: boolean;
}

const ORDER_CLAUSE = /^\s*(\w+)(?:\s+(ASC|DESC))?\s*$/i;
/** Both give a model's versions in the same order: versions are numbered as they are registered. */
const VERSION_ORDER_FIELDS = ["version_number", "creation_timestamp"];

function orderKey(clause: string): OrderKey {
  const match = ORDER_CLAUSE.exec(clause);
  if (!match)
    throw orderRefusal(`cannot read the order_by clause "${clause}"`, "a field, then ASC or DESC (name ASC, version_number DESC)");
  return { clause: clause.trim(), field: (match[1] ?? "").toLowerCase(), descending: match[2]?.toUpperCase() === "DESC" };
}

function orderRefusal(reason: string, instead: string): MlflowRefusal {
  return new MlflowRefusal(
    "INVALID_PARAMETER_VALUE",
    `Cannot order ${reason}. Write order_by=${instead}; sort the page yourself for another order.`,
  );
}

/**
 * One model's versions come from its partition in version order, either way: newest first by
 * default. Its name orders nothing (one model); after the version, no tie is left to break.
 */
export function modelVersionsOrder(orderBy: readonly string[]): { readonly oldestFirst: boolean } {
  const [first] = orderBy.map(orderKey).filter((key) => key.field !== "name");
  if (!first) return { oldestFirst: false };
  if (VERSION_ORDER_FIELDS.includes(first.field)) return { oldestFirst: !first.descending };
  throw orderRefusal(
    `a model's versions by ${first.clause}: they come in version order`,
    "version_number DESC (newest first, the default) or version_number ASC (oldest first)",
  );
}

/** A run's versions come from the run index in model name, then version order, ascending only. */
export function assertRunOrderServed(orderBy: readonly string[]): void {
  const [first, second] = orderBy.map(orderKey);
  const nameFirst = first === undefined || (first.field === "name" && !first.descending);
  const versionNext = second === undefined || (VERSION_ORDER_FIELDS.includes(second.field) && !second.descending);
  if (!nameFirst || !versionNext)
    throw orderRefusal(
      `a run's versions by ${orderBy.join(", ")}: they come in model name, then version order`,
      "name ASC (the default) or name ASC, version_number ASC",
    );
}

/** Registered models come from the name index in name order. */
export function assertModelOrderServed(orderBy: readonly string[]): void {
  const unserved = orderBy.map(orderKey).filter((key) => key.field !== "name" || key.descending);
  if (unserved.length > 0)
    throw orderRefusal(
      `registered models by ${unserved.map((key) => key.clause).join(", ")}: they come in name order`,
      "name ASC (the default)",
    );
}
