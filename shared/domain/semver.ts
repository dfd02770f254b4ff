import { ValidationError } from "./errors";
import { SEMVER_PATTERN } from "./model-uri";

export type Bump = "major" | "minor" | "patch";

type Parts = [number, number, number];

function parse(label: string): Parts {
  const [major = 0, minor = 0, patch = 0] = label.split(".").map(Number);
  return [major, minor, patch];
}

export function compareSemver(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Next label after the model's highest one; the first bump of an unlabelled model starts at 1.0.0, 0.1.0 or 0.0.1.
 * A bump past the largest label (a part of 15 nines) is refused: its label could not be stored or selected.
 */
export function bumpSemver(highest: string | undefined, bump: Bump): string {
  const [major, minor, patch] = highest ? parse(highest) : [0, 0, 0];
  const next = bump === "major" ? `${major + 1}.0.0` : bump === "minor" ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
  if (SEMVER_PATTERN.test(next)) return next;
  throw new ValidationError(
    `A ${bump} bump of ${highest} would pass the largest label (15 digits a part): label the version with semver instead.`,
    [{ path: "body.bump", message: `a ${bump} bump of ${highest} has more than 15 digits in a part` }],
  );
}

export function highestSemver(current: string | undefined, candidate: string | undefined): string | undefined {
  if (!candidate) return current;
  if (!current) return candidate;
  return compareSemver(candidate, current) > 0 ? candidate : current;
}
