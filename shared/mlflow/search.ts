import { MlflowRefusal } from "./errors";

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

/** What a model-version search reads: one model's versions (its partition), narrowed by run and tags. */
export interface VersionSearch {
  readonly name: string;
  readonly runId?: string;
  readonly tags: Record<string, string>;
}

/** Every clause must be an equality, and one must name the model: its versions are one Query, the rest filters on it. */
export function versionSearch(clauses: readonly Clause[]): VersionSearch {
  let name: string | undefined;
  let runId: string | undefined;
  const tags: Record<string, string> = {};
  for (const clause of clauses) {
    if (clause.op !== "=") throw refusal(`${clause.field} ${clause.op} is not supported for model versions; use =`);
    if (clause.field === "name") name = clause.value;
    else if (clause.field === "run_id") runId = clause.value;
    else if (clause.field.startsWith("tags."))
      Object.defineProperty(tags, clause.field.slice(5), { value: clause.value, enumerable: true });
    else throw refusal(`${clause.field} is not a model-version filter here; use name, run_id or tags.<key>`);
  }
  if (name === undefined)
    throw refusal(
      "model versions are searched within one model: add name = '<model>' (a search across every model would read the whole table)",
    );
  return { name, runId, tags };
}

/** The only orders a Query gives without sorting in memory: by name (one model, or the name index) and, within a model, newest version first. */
export function assertOrderServed(orderBy: readonly string[], served: readonly RegExp[]): void {
  const unserved = orderBy.filter((clause) => !served.some((pattern) => pattern.test(clause.trim())));
  if (unserved.length > 0)
    throw new MlflowRefusal(
      "INVALID_PARAMETER_VALUE",
      `Cannot order by ${unserved.join(", ")}: registered models come in name order (name ASC); a model's versions newest first ` +
        "(version_number DESC, creation_timestamp DESC). Sort the page yourself for another order.",
    );
}
