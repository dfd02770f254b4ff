/**
 * EventBridge event patterns, for the local bus's rules (and the local stream tailer's filter,
 * since Lambda filter criteria use the same syntax). Supported: exact values (a list is any of),
 * `null` and "", `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, a
 * prefix, a suffix, or one or several values in any case), `numeric` (comparisons and ranges),
 * `wildcard` (also under anything-but), `exists`, nested objects, `$or`.
 * Anything else (`cidr`) is refused when the rule is loaded, never silently ignored.
 */

export type EventPattern = { readonly [field: string]: unknown };

export class InvalidPatternError extends Error {}

type Json = string | number | boolean | null;
type Operator = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isPrimitive = (value: unknown): value is Json => value === null || ["string", "number", "boolean"].includes(typeof value);

/** Checks a pattern the way PutRule would, so a typo fails when the rules file is read, not by never matching. */
export function parsePattern(value: unknown): EventPattern {
  const pattern = typeof value === "string" ? parseJson(value) : value;
  checkObject(pattern, "pattern");
  return pattern as EventPattern;
}

/** Whether `event` (as delivered to targets: `source`, `detail-type`, `detail`, …) matches `pattern`. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, isObject(event) ? event : undefined);
}

function matchObject(pattern: EventPattern, event: Record<string, unknown> | undefined): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    if (field === "$or") return (rule as EventPattern[]).some((alternative) => matchObject(alternative, event));
    const present = event !== undefined && Object.hasOwn(event, field);
    const value = present ? event[field] : undefined;
    return Array.isArray(rule) ? matchLeaf(rule, present, value) : matchNested(rule as EventPattern, value);
  });
}

/** An array's elements, arrays within it crushed out, as EventBridge reads an array of arrays. */
const elements = (array: readonly unknown[]): unknown[] => array.flat(Number.POSITIVE_INFINITY);

/** A nested pattern; an array of objects in the event matches when any of its objects does. */
function matchNested(pattern: EventPattern, value: unknown): boolean {
  const objects = Array.isArray(value) ? elements(value).filter(isObject) : [];
  if (objects.length > 0) return objects.some((object) => matchObject(pattern, object));
  return matchObject(pattern, isObject(value) ? value : undefined);
}

/** A list of matchers: any may match. An array in the event matches when any of its values does. */
function matchLeaf(rules: readonly unknown[], present: boolean, value: unknown): boolean {
  // Only leaves count: a field holding an object "does not exist" for leaf matchers.
  const values = !present ? [] : Array.isArray(value) ? elements(value).filter((v) => !isObject(v)) : isObject(value) ? [] : [value];
  return rules.some((rule) => {
    if (isObject(rule) && "exists" in rule) return rule.exists === values.length > 0;
    return values.some((v) => matchValue(rule, v));
  });
}

function matchValue(rule: unknown, value: unknown): boolean {
  if (!isObject(rule)) return rule === value;
  const [operator, argument] = Object.entries(rule)[0] as [string, unknown];
  switch (operator) {
    case "prefix":
      return typeof value === "string" && affix(argument, value, (text, part) => text.startsWith(part));
    case "suffix":
      return typeof value === "string" && affix(argument, value, (text, part) => text.endsWith(part));
    case "equals-ignore-case":
      // A list only under anything-but: "none of these, in any case".
      return typeof value === "string" && [argument].flat().some((text) => value.toLowerCase() === String(text).toLowerCase());
    case "wildcard":
      return typeof value === "string" && wildcardExpression(argument as string).test(value);
    case "anything-but":
      return anythingBut(argument, value);
    case "numeric":
      return typeof value === "number" && numericHolds(argument as unknown[], value);
    default:
      return false;
  }
}

/** A wildcard as a regular expression: `*` is any run of characters, `\*` and `\\` stand for themselves. */
function wildcardExpression(wildcard: string): RegExp {
  // Any token but `*` stands for itself, an escape for the character it escapes.
  const literal = (token: string) => (token.startsWith("\\") ? token.slice(1) : token).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const source = wildcardTokens(wildcard)
    .map((token) => (token === "*" ? "[\\s\\S]*" : literal(token)))
    .join("");
  return new RegExp(`^${source}$`);
}

/** A wildcard's pieces: `*`, the escapes `\*` and `\\`, a lone backslash (which is invalid), and runs of other characters. */
const wildcardTokens = (wildcard: string): string[] => wildcard.match(/\\[*\\]|\\|\*|[^*\\]+/g) ?? [];

/** `prefix`/`suffix` take a string, or `{ "equals-ignore-case": string }`. */
function affix(argument: unknown, value: string, test: (text: string, part: string) => boolean): boolean {
  if (typeof argument === "string") return test(value, argument);
  return test(value.toLowerCase(), String((argument as Operator)["equals-ignore-case"]).toLowerCase());
}

function anythingBut(argument: unknown, value: unknown): boolean {
  if (Array.isArray(argument)) return !argument.includes(value);
  if (!isObject(argument)) return value !== argument;
  // anything-but a prefix, suffix or case-insensitive value: only strings can be "something else" of those.
  return typeof value === "string" && !matchValue(argument, value);
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  "=": (a, b) => a === b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

function numericHolds(conditions: readonly unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    if (!COMPARISONS[conditions[i] as string]?.(value, conditions[i + 1] as number)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Syntax checks

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidPatternError("The event pattern is not valid JSON.");
  }
}

function checkObject(pattern: unknown, path: string): void {
  if (!isObject(pattern) || Object.keys(pattern).length === 0) throw new InvalidPatternError(`${path} must be a non-empty object.`);
  for (const [field, rule] of Object.entries(pattern)) {
    const at = `${path}.${field}`;
    if (field === "$or") {
      if (!Array.isArray(rule) || rule.length < 2) throw new InvalidPatternError(`${at} must list at least two patterns.`);
      for (const [i, alternative] of rule.entries()) checkObject(alternative, `${at}[${i}]`);
    } else if (Array.isArray(rule)) {
      if (rule.length === 0) throw new InvalidPatternError(`${at} must list at least one value or matcher.`);
      for (const [i, matcher] of rule.entries()) checkMatcher(matcher, `${at}[${i}]`);
    } else {
      checkObject(rule, at);
    }
  }
}

function checkMatcher(matcher: unknown, at: string): void {
  if (isPrimitive(matcher)) return;
  const entries = isObject(matcher) ? Object.entries(matcher) : [];
  const [operator, argument] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined) throw new InvalidPatternError(`${at} must be a value or an object with one matcher.`);
  const fail = (why: string) => {
    throw new InvalidPatternError(`${at}: ${operator} ${why}.`);
  };
  switch (operator) {
    case "prefix":
    case "suffix":
      if (typeof argument !== "string" && !isIgnoreCase(argument)) fail('takes a string or { "equals-ignore-case": string }');
      return;
    case "equals-ignore-case":
      if (typeof argument !== "string") fail("takes a string");
      return;
    case "exists":
      if (typeof argument !== "boolean") fail("takes true or false");
      return;
    case "numeric":
      if (!isNumericRange(argument)) fail('takes comparisons such as [">", 0, "<=", 5] or ["=", 42]');
      if (isEmptyRange(argument as unknown[])) fail("takes a lower bound below its upper bound");
      return;
    case "wildcard":
      if (!isWildcard(argument))
        fail("takes a string in which * stands for any characters, \\* and \\\\ for themselves, and no * follows another");
      return;
    case "anything-but":
      if (!isAnythingBut(argument))
        fail(
          "takes a value, a list of strings or of numbers, { prefix | suffix: a non-empty string } or { equals-ignore-case: a string or a list }",
        );
      return;
    default:
      fail("is not supported by the local event bus");
  }
}

function isIgnoreCase(argument: unknown): boolean {
  return isObject(argument) && Object.keys(argument).length === 1 && typeof argument["equals-ignore-case"] === "string";
}

function isNumericRange(argument: unknown): boolean {
  if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4)) return false;
  const pairs = argument.length / 2;
  for (let i = 0; i < pairs; i++) {
    const [operator, bound] = [argument[i * 2], argument[i * 2 + 1]];
    if (typeof operator !== "string" || !(operator in COMPARISONS) || typeof bound !== "number") return false;
  }
  // A range is a lower bound then an upper bound; "=" stands alone.
  return pairs === 1 || (String(argument[0]).startsWith(">") && String(argument[2]).startsWith("<"));
}

/** EventBridge refuses `**` and a backslash escaping anything but `*` or `\`. */
function isWildcard(argument: unknown): boolean {
  if (typeof argument !== "string") return false;
  const tokens = wildcardTokens(argument);
  return tokens.every((token, i) => token !== "\\" && !(token === "*" && tokens[i - 1] === "*"));
}

/** A range whose bounds meet or cross could never match: EventBridge refuses it. */
function isEmptyRange(range: readonly unknown[]): boolean {
  return range.length === 4 && (range[1] as number) >= (range[3] as number);
}

function isAnythingBut(argument: unknown): boolean {
  if (typeof argument === "string" || typeof argument === "number") return true;
  if (Array.isArray(argument))
    return argument.length > 0 && (argument.every((v) => typeof v === "string") || argument.every((v) => typeof v === "number"));
  if (!isObject(argument) || Object.keys(argument).length !== 1) return false;
  const [operator, value] = Object.entries(argument)[0] as [string, unknown];
  if (operator === "equals-ignore-case")
    return typeof value === "string" || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string"));
  if (operator === "wildcard") return isWildcard(value);
  // An empty prefix or suffix would leave nothing for anything-but to match: EventBridge refuses it.
  return (operator === "prefix" || operator === "suffix") && typeof value === "string" && value !== "";
}
