import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { expect } from "vitest";

/**
 * The docs' curl examples, as a reader copies them into a terminal beside `npm start`, and how to
 * run them as written. Each walk is one test on its own model; a doc that continues another
 * (docs/lifecycle.md goes on from the README's Try it) runs that doc's examples first.
 */

export const DOCUMENTED_URL = "http://127.0.0.1:3000";
export const DOCUMENTED_MODEL = "fraud_detector";

export interface Walk {
  readonly doc: string;
  /** Only the examples under this `## ` heading; the whole doc without one. */
  readonly section?: string;
  /** A `## ` section another walk runs (one that needs a registry with a tokens file, say). */
  readonly except?: string;
  readonly after?: Walk;
}

export const TRY_IT: Walk = { doc: "README.md", section: "Try it" };
export const LIFECYCLE: Walk = { doc: "docs/lifecycle.md", after: TRY_IT, except: "Approvals" };
/** Run against npm start with the tokens file it names, by test/e2e/local-identities.test.ts (one registry per test process). */
export const SEVERAL_PEOPLE: Walk = { doc: "README.md", section: "Acting as several people locally" };
export const SEVERAL_PEOPLE_TOKENS = "docs/local-tokens.json";
/** docs/lifecycle.md's approvals, by several people: run with the same tokens file, by test/e2e/local-identities.test.ts. */
export const APPROVALS: Walk = { doc: "docs/lifecycle.md", section: "Approvals" };

/** The shell blocks that call the registry: what a reader copies into a terminal beside `npm start`. */
export function curlBlocks(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  return blocks.filter((block) => block.includes("curl ") && block.includes(DOCUMENTED_URL));
}

export async function ownExamples(walk: Walk): Promise<string[]> {
  const text = await readFile(walk.doc, "utf8");
  const blocks = curlBlocks(walk.section ? sectionOf(text, walk.section) : text);
  const elsewhere = new Set(walk.except ? curlBlocks(sectionOf(text, walk.except)) : []);
  return blocks.filter((block) => !elsewhere.has(block));
}

/** The text under a `## ` heading, up to the next one. */
const sectionOf = (markdown: string, heading: string): string => markdown.split(`\n## ${heading}\n`)[1]?.split("\n## ")[0] ?? "";

export async function examples(walk: Walk): Promise<string[]> {
  return [...(walk.after ? await examples(walk.after) : []), ...(await ownExamples(walk))];
}

/** Runs each block in bash, in order, against the registry at `url`, on `model` instead of the documented one. */
export async function runBlocks(blocks: readonly string[], url: string, model: string): Promise<void> {
  for (const block of blocks) {
    const script = block.replaceAll(DOCUMENTED_URL, url).replaceAll(DOCUMENTED_MODEL, model);
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script]);
    // A block that documents an error shows it as a comment, and gets that error only; every other block must succeed.
    const expectedError = /^# \{"error":\{"code":"(\w+)"/m.exec(block)?.[1];
    const errors = [...stdout.matchAll(/"error":\{"code":"(\w+)"/g)].map((match) => match[1]);
    expect(errors, script).toEqual(expectedError ? [expectedError] : []);
    if (!expectedError) expect(stdout, script).not.toContain('"error"');
  }
}

/** GET `path` from the registry at `url`, which must answer 200 with JSON. */
export async function getJson(url: string, path: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, { headers });
  expect(response.status, path).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}
