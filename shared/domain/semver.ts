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

/** Next label after the model's highest one; the first bump of an unlabelled model starts at 1.0.0, 0.1.0 or 0.0.1. */
export function bumpSemver(highest: string | undefined, bump: Bump): string {
  const [major, minor, patch] = highest ? parse(highest) : [0, 0, 0];
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

export function highestSemver(current: string | undefined, candidate: string | undefined): string | undefined {
  if (!candidate) return current;
  if (!current) return candidate;
  return compareSemver(candidate, current) > 0 ? candidate : current;
}
