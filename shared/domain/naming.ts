import { ValidationError } from "./errors";

/** What a model name is made of: lowercase letters and digits, words joined by '_' or '-', starting with a letter. */
export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9]*([_-][a-z0-9]+)*$/;

/** How an environment treats a name that is not a product name: strict refuses it, warn registers it with a warning. */
export const NAMING_POLICY_MODES = ["strict", "warn"] as const;
export type NamingPolicyMode = (typeof NAMING_POLICY_MODES)[number];

/**
 * "Names are product contracts": a model name names the product, the registry numbers its versions.
 * Names that embed a version, a date, a status word, an algorithm or an owner fork history; generic names say nothing.
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

/**
 * Algorithms change while the use case stays: "fraud_xgboost" forks history the day the model becomes a
 * neural network. Single tokens, and phrases of consecutive tokens.
 */
const ALGORITHM_TOKENS = new Set([
  "xgboost",
  "xgb",
  "lightgbm",
  "lgbm",
  "catboost",
  "adaboost",
  "gbm",
  "gbdt",
  "gbt",
  "lstm",
  "gru",
  "rnn",
  "cnn",
  "bert",
  "roberta",
  "distilbert",
  "gpt",
  "llama",
  "resnet",
  "vgg",
  "yolo",
  "unet",
  "rf",
  "svm",
  "svc",
  "knn",
  "mlp",
  "logreg",
  "arima",
  "sarima",
  "kmeans",
  "dbscan",
]);
const ALGORITHM_PHRASES = [
  ["random", "forest"],
  ["decision", "tree"],
  ["gradient", "boosting"],
  ["logistic", "regression"],
  ["linear", "regression"],
  ["naive", "bayes"],
  ["neural", "net"],
  ["neural", "network"],
] as const;

/**
 * First names seen in possessive model names ("marias_model", "johns_classifier"), without the apostrophe a
 * model name cannot hold. Names whose possessive is also an English word (marks, bills, wills) are left out.
 */
const PERSON_NAMES = new Set([
  "john",
  "maria",
  "mary",
  "james",
  "david",
  "michael",
  "robert",
  "william",
  "richard",
  "thomas",
  "daniel",
  "paul",
  "peter",
  "steve",
  "kevin",
  "brian",
  "alex",
  "joe",
  "dave",
  "mike",
  "anna",
  "sarah",
  "laura",
  "lisa",
  "emma",
  "julia",
  "sophie",
  "olivia",
  "linda",
  "susan",
  "karen",
  "jennifer",
  "jessica",
  "elena",
  "priya",
  "raj",
  "wei",
  "yuki",
  "ahmed",
  "fatima",
  "carlos",
  "jose",
  "juan",
  "luis",
  "pedro",
  "ana",
  "meera",
  "ravi",
]);
const isPossessivePersonName = (token: string) => token.endsWith("s") && PERSON_NAMES.has(token.slice(0, -1));

type Kind = "version" | "date" | "status" | "algorithm" | "owner";
type Finding = { readonly token: string; readonly kind: Kind; readonly length: number };

/** What the tokens from `at` on start with, if it is not part of a product name. */
function classify(tokens: readonly string[], at: number): Finding | undefined {
  const token = tokens[at] as string;
  const phrase = ALGORITHM_PHRASES.find((words) => words.every((word, i) => tokens[at + i] === word));
  if (phrase) return { token: phrase.join("_"), kind: "algorithm", length: phrase.length };
  const kind = classifyToken(token, at < tokens.length - 1);
  return kind && { token, kind, length: 1 };
}

function classifyToken(token: string, isFollowed: boolean): Kind | undefined {
  if (/^v\d+$/.test(token) || /^\d{1,3}$/.test(token) || /[a-z]v\d+$/.test(token)) return "version";
  if (/^(19|20)\d{2}$/.test(token) || /^(19|20)\d{4,6}$/.test(token) || MONTHS.has(token) || /^q[1-4]$/.test(token)) return "date";
  if (STATUS_WORDS.has(token)) return "status";
  if (ALGORITHM_TOKENS.has(token)) return "algorithm";
  // A possessive owns something that follows it: "johns_classifier", not "st_johns".
  if (isFollowed && isPossessivePersonName(token)) return "owner";
  return undefined;
}

/** The name's tokens, split into the findings and what is left of a product name. */
function findingsOf(tokens: readonly string[]): { findings: Finding[]; productTokens: string[] } {
  const findings: Finding[] = [];
  const productTokens: string[] = [];
  for (let at = 0; at < tokens.length; ) {
    const finding = classify(tokens, at);
    if (finding) findings.push(finding);
    else productTokens.push(tokens[at] as string);
    at += finding?.length ?? 1;
  }
  return { findings, productTokens };
}

const REASONS: Record<Kind, (token: string) => string> = {
  version: (t) => `it embeds a version ("${t}"); the registry numbers versions for you`,
  date: (t) => `it embeds a date ("${t}"); every version records when it was trained and registered`,
  status: (t) => `it carries a status word ("${t}"); stages and aliases say which version is current`,
  algorithm: (t) => `it names an algorithm ("${t}"); algorithms change while the use case stays`,
  owner: (t) => `it names a person ("${t}"); people move on while the product stays`,
};

const GENERIC_ADVICE = "name the product or use case the model serves, e.g. fraud_detector or churn_predictor";

/** What to do about a finding; a version, date or status word of a generic name needs a product name first. */
function adviceFor(kind: Kind, productName: string | undefined): string {
  if (kind === "algorithm") return "name the use case; record the algorithm in `modelType`/`framework`";
  if (kind === "owner") return "name the product, not its owner; record the owner in tags";
  return productName === undefined ? GENERIC_ADVICE : `register a new version of ${productName}`;
}

export interface NamingVerdict {
  readonly problems: readonly string[];
  /** The message to show: why, and what to do instead. Undefined when the name is fine. */
  readonly message?: string;
}

export function judgeModelName(name: string): NamingVerdict {
  const { findings, productTokens } = findingsOf(name.split(/[_-]/));
  const isGeneric = productTokens.every((token) => GENERIC_WORDS.has(token));
  const problems = findings.map((f) => REASONS[f.kind](f.token));
  if (isGeneric) problems.push("it is generic: it does not say which product or use case the model serves");
  if (problems.length === 0) return { problems };
  const productName = isGeneric ? undefined : productTokens.join("_");
  const advice = new Set(findings.map((f) => adviceFor(f.kind, productName)));
  if (isGeneric) advice.add(GENERIC_ADVICE);
  return { problems, message: `Model name "${name}" is not a product name: ${problems.join("; ")}. Instead, ${[...advice].join("; ")}.` };
}

/** Applies the environment's naming policy: strict rejects, warn accepts and returns the warnings. */
export function enforceNamingPolicy(name: string, mode: NamingPolicyMode): string[] {
  const verdict = judgeModelName(name);
  if (!verdict.message) return [];
  if (mode === "warn") return [verdict.message];
  throw new ValidationError(verdict.message, [{ path: "name", message: verdict.problems.join("; ") }]);
}
