import { MODEL_NAME_PATTERN, SEMVER_PATTERN } from "../schemas/common";
import { ALIAS_PATTERN, LATEST } from "../schemas/alias";
import { ASSIGNED_STAGES, type VersionSelector } from "../schemas/version";

export const MODEL_URI_FORMS = ["models:/<name>/<version>", "models:/<name>/<Stage>", "models:/<name>@<alias>", "models:/<name>@v<semver>"] as const;

export interface ModelUri {
  readonly name: string;
  readonly selector: VersionSelector;
}

const URI = /^models:\/([^/@]+)(?:\/([^/@]+)|@([^/@]+))$/;

/**
 * Parses the model URIs of SPEC §2, as MLflow spells them: stage names match in any case
 * (`models:/m/production`), and `latest` works after `/` or `@`. Anything else is undefined.
 */
export function parseModelUri(uri: string): ModelUri | undefined {
  const [, name, path, at] = URI.exec(uri) ?? [];
  if (!name || !MODEL_NAME_PATTERN.test(name)) return undefined;
  const selector = path !== undefined ? pathSelector(path) : atSelector(at ?? "");
  return selector && { name, selector };
}

function pathSelector(part: string): VersionSelector | undefined {
  if (/^[1-9]\d{0,9}$/.test(part)) return { number: Number(part) };
  if (part === LATEST) return { latest: true };
  const stage = ASSIGNED_STAGES.find((s) => s.toLowerCase() === part.toLowerCase());
  return stage && { stage };
}

function atSelector(part: string): VersionSelector | undefined {
  if (part.startsWith("v") && SEMVER_PATTERN.test(part.slice(1))) return { semver: part.slice(1) };
  if (part === LATEST) return { latest: true };
  return ALIAS_PATTERN.test(part) ? { alias: part } : undefined;
}
