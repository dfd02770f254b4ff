import { App, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app";

const cdkContext = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
const deployDoc = readFileSync(new URL("../../docs/deploy.md", import.meta.url), "utf8");

// prod: the environment that keeps what it holds. Bundling is skipped: only the stacks, their order and their outputs are under test.
const { app } = buildApp("prod", new App({ context: { ...cdkContext, env: "prod", "aws:cdk:bundling-stacks": [] } }));
const stacks = app.node.children.filter((child): child is Stack => "templateOptions" in child);
/** A stack's name as docs/deploy.md spells it: `ModelRegistry-<env>-Api`. */
const documentedName = (stack: Stack) => stack.stackName.replace(/^ModelRegistry-prod-/, "ModelRegistry-<env>-");
const suffix = (stack: Stack) => stack.stackName.replace(/^ModelRegistry-prod-/, "");
/** Each stack's template, synthesized once for both tests: each synthesis takes seconds, over 30 s in all on a busy machine. */
const templates = new Map(stacks.map((stack) => [stack, Template.fromStack(stack)]));
const templateOf = (stack: Stack) => templates.get(stack) as Template;

/** `cdk deploy --all` deploys a stack after every stack it depends on: 1 for none, else one more than the latest of them. */
function deployOrder(stack: Stack): number {
  return 1 + Math.max(0, ...stack.dependencies.map(deployOrder));
}

/** The outputs an operator reads (CDK's cross-stack exports left out). */
const outputsOf = (stack: Stack) =>
  Object.keys(templateOf(stack).findOutputs("*"))
    .filter((name) => !name.startsWith("ExportsOutput"))
    .sort();

/** Whether `cdk destroy` leaves some of the stack's resources behind (RemovalPolicy.RETAIN). */
const keepsResources = (template: Template) =>
  Object.values(template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>).some(
    (resource) => resource.DeletionPolicy === "Retain",
  );

/** Rows of the table in step 6, "What each stack holds and outputs": order, stack, outputs. */
const documentedRows = [...deployDoc.matchAll(/^\| (\d) \| `([^`]+)` \| [^|]+ \| ([^|]*) \|$/gm)].map(([, order, name, outputs]) => ({
  order: Number(order),
  name: String(name),
  outputs: [...(outputs ?? "").matchAll(/`(\w+)`/g)].map(([, output]) => output).sort(),
}));

describe("docs/deploy.md", () => {
  it("names every stack of an environment in the table of step 6, in deploy order, with its outputs", () => {
    const synthesized = stacks.map((stack) => ({ order: deployOrder(stack), name: documentedName(stack), outputs: outputsOf(stack) }));

    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

    expect(documentedRows.sort(byName)).toEqual(synthesized.sort(byName));
  });

  it("reads the outputs and notes the kept resources of every stack that has them", () => {
    const loops = [...deployDoc.matchAll(/^for s in ([\w ]+); do$/gm)].map(([, names]) => (names ?? "").split(" ").sort());
    const withOutputs = stacks.filter((stack) => outputsOf(stack).length > 0).map(suffix);
    const withKeptResources = stacks.filter((stack) => keepsResources(templateOf(stack))).map(suffix);

    expect(loops).toEqual([withOutputs.sort(), withKeptResources.sort()]);
  });
});
