import { MODEL_NAME_PATTERN } from "./naming";

/** The stages a version can be found by ("the version in Production"); None is where versions start. */
export const ASSIGNED_STAGES = ["Staging", "Production", "Archived"] as const;
export type AssignedStage = (typeof ASSIGNED_STAGES)[number];

/** The stage among `stages` that `text` spells in any case (`production` → Production), as MLflow accepts them. */
export function findStage<S extends string>(text: string, stages: readonly S[]): S | undefined {
  return stages.find((stage) => stage.toLowerCase() === text.toLowerCase());
}

/** Why `text` names none of `stages`, with the spelling it probably meant when it starts one (`prod` → Production). */
export function unknownStage(text: string, stages: readonly string[]): string {
  const meant = text.length >= 3 ? stages.find((stage) => stage.toLowerCase().startsWith(text.toLowerCase())) : undefined;
  return `'${text}' is not a stage: use ${stages.join(", ")} (any case)${meant ? `; did you mean ${meant}?` : ""}`;
}

/** The implicit alias: always the newest READY version, never stored, never set. */
export const LATEST = "latest";
export const ALIAS_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** Each part at most 15 digits: a label is a short table key, and one bumped is counted exactly (below 2^53). */
export const SEMVER_PATTERN = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;

/** The ways to pick one version of a model: in a `{v}` path segment and in a model URI. */
export type VersionSelector = { number: number } | { semver: string } | { stage: AssignedStage } | { latest: true } | { alias: string };

export const MODEL_URI_FORMS = [
  "models:/<name>/<version>",
  "models:/<name>/<Stage>",
  "models:/<name>@<alias>",
  "models:/<name>@v<semver>",
  "any of these followed by /<file path>",
] as const;

export interface ModelUri {
  readonly name: string;
  readonly selector: VersionSelector;
  /** One file of a multi-file version: everything after the segment that picks the version. */
  readonly file?: string;
}

/**
 * The version is picked by the one segment after the name (`/7`, `/Production`, `@champion`), which
 * never holds a `/`; whatever follows the next `/` is a file path, as in MLflow's
 * `models:/<name>/<version>/<artifact path>`.
 */
const URI = /^models:\/([^/@]+)(?:\/([^/@]+)|@([^/@]+))(?:\/(.*))?$/s;

/**
 * Parses the model URIs of docs/lifecycle.md (Model URIs), as MLflow spells them: stage names match in any case
 * (`models:/m/production`), and `latest` works after `/` or `@`. Anything else is undefined. A file
 * path is taken as written: whether it is one a manifest may hold is `pathRuleBroken`'s to say.
 */
export function parseModelUri(uri: string): ModelUri | undefined {
  const [, name, path, at, file] = URI.exec(uri) ?? [];
  if (!name || !MODEL_NAME_PATTERN.test(name)) return undefined;
  const selector = path !== undefined ? pathSelector(path) : atSelector(at ?? "");
  return selector && { name, selector, ...(file === undefined ? {} : { file }) };
}

function pathSelector(part: string): VersionSelector | undefined {
  if (/^[1-9]\d{0,9}$/.test(part)) return { number: Number(part) };
  if (part === LATEST) return { latest: true };
  const stage = findStage(part, ASSIGNED_STAGES);
  return stage && { stage };
}

function atSelector(part: string): VersionSelector | undefined {
  if (part.startsWith("v") && SEMVER_PATTERN.test(part.slice(1))) return { semver: part.slice(1) };
  if (part === LATEST) return { latest: true };
  return ALIAS_PATTERN.test(part) ? { alias: part } : undefined;
}
