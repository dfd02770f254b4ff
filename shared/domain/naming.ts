import { ValidationError } from "./errors";

/** What a model name is made of: lowercase letters and digits, words joined by '_' or '-', starting with a letter. */
export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9]*([_-][a-z0-9]+)*$/;

/** How an environment treats a name that is not a product name: strict refuses it, warn registers it with a warning. */
export const NAMING_POLICY_MODES = ["strict", "warn"] as const;
export type NamingPolicyMode = (typeof NAMING_POLICY_MODES)[number];

/**
 * "Names are product contracts": a model name names the product, the registry numbers its versions.
 * Names that embed a version, a date or a status word fork history; generic names say nothing.
 */
const MONTHS = new Set([
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "sept",
  "oct",
  "nov",
  "dec",
  "january",
  "february",
  "march",
  "april",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
]);
const STATUS_WORDS = new Set(["final", "latest", "new", "old", "copy", "backup", "tmp", "temp", "draft", "updated", "current"]);
const GENERIC_WORDS = new Set([
  "model",
  "models",
  "classifier",
  "regressor",
  "predictor",
  "estimator",
  "production",
  "prod",
  "staging",
  "dev",
  "test",
  "my",
  "ml",
  "ai",
  "net",
  "network",
  "baseline",
  "default",
]);

type Finding = { token: string; kind: "version" | "date" | "status" };

function classify(token: string): Finding["kind"] | undefined {
  if (/^v\d+$/.test(token) || /^\d{1,3}$/.test(token) || /[a-z]v\d+$/.test(token)) return "version";
  if (/^(19|20)\d{2}$/.test(token) || /^(19|20)\d{4,6}$/.test(token) || MONTHS.has(token) || /^q[1-4]$/.test(token)) return "date";
  if (STATUS_WORDS.has(token)) return "status";
  return undefined;
}

const REASONS: Record<Finding["kind"], (token: string) => string> = {
  version: (t) => `it embeds a version ("${t}"); the registry numbers versions for you`,
  date: (t) => `it embeds a date ("${t}"); every version records when it was trained and registered`,
  status: (t) => `it carries a status word ("${t}"); stages and aliases say which version is current`,
};

export interface NamingVerdict {
  readonly problems: readonly string[];
  /** The message to show: why, and what to do instead. Undefined when the name is fine. */
  readonly message?: string;
}

export function judgeModelName(name: string): NamingVerdict {
  const tokens = name.split(/[_-]/);
  const findings = tokens.flatMap((token): Finding[] => {
    const kind = classify(token);
    return kind ? [{ token, kind }] : [];
  });
  const productTokens = tokens.filter((token) => !classify(token));
  const isGeneric = productTokens.every((token) => GENERIC_WORDS.has(token));
  const problems = findings.map((f) => REASONS[f.kind](f.token));
  if (isGeneric) problems.push("it is generic: it does not say which product or use case the model serves");
  if (problems.length === 0) return { problems };
  const productName = productTokens.join("_");
  const advice = isGeneric
    ? "name the product or use case the model serves, e.g. fraud_detector or churn_predictor"
    : `register a new version of ${productName}`;
  return { problems, message: `Model name "${name}" is not a product name: ${problems.join("; ")}. Instead, ${advice}.` };
}

/** Applies the environment's naming policy: strict rejects, warn accepts and returns the warnings. */
export function enforceNamingPolicy(name: string, mode: NamingPolicyMode): string[] {
  const verdict = judgeModelName(name);
  if (!verdict.message) return [];
  if (mode === "warn") return [verdict.message];
  throw new ValidationError(verdict.message, [{ path: "name", message: verdict.problems.join("; ") }]);
}
