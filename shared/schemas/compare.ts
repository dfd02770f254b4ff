import * as z from "../zod";
import { versionSelector } from "./version";

export const compareQuery = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    versions: z.pipe(
      z.pipe(
        z.string().register(z.globalRegistry, { description: "Two versions, a then b: numbers or v<semver>", example: "3,5" }),
        z.transform((value) => value.split(",").map((part) => part.trim())),
      ),
      z.tuple([versionSelector, versionSelector], { error: "name exactly two versions, e.g. versions=3,5 or versions=v1.2.0,v1.3.0" }),
    ),
  }),
);

const number = /* @__PURE__ */ z.onFirstUse(() => z.number());
const scalar = /* @__PURE__ */ z.onFirstUse(() => z.union([z.string(), z.number(), z.boolean()]));

/** Changed, added (only in b) and removed (only in a) entries of a key → value map. */
const mapDiff = <T extends z.ZodMiniType>(value: T) =>
  z.object({
    changed: z.record(z.string(), z.object({ a: value, b: value })),
    added: z.record(z.string(), value),
    removed: z.record(z.string(), value),
  });

const listDiff = <T extends z.ZodMiniType>(value: T) => z.object({ added: z.array(value), removed: z.array(value) });

const datasetRef = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    id: z.string(),
    version: z.optional(z.string()),
    uri: z.optional(z.string()),
    sha256: z.optional(z.string()),
  }),
);

export const comparisonView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    model: z.string(),
    a: z.object({ version: z.int(), semver: z.optional(z.string()) }),
    b: z.object({ version: z.int(), semver: z.optional(z.string()) }),
    metrics: z
      .record(z.string(), z.object({ a: number, b: number, delta: number, deltaPercent: z.nullable(number) }))
      .register(z.globalRegistry, {
        description: "Metrics both versions report: delta = b − a; deltaPercent relative to |a|, null when a is 0",
      }),
    metricsOnlyIn: z.object({ a: z.record(z.string(), number), b: z.record(z.string(), number) }),
    params: mapDiff(scalar),
    features: listDiff(z.string()),
    dependencies: mapDiff(z.string()),
    lineage: z.object({
      datasets: z.object({
        added: z.array(datasetRef),
        removed: z.array(datasetRef),
        changed: z.array(z.object({ id: z.string(), a: datasetRef, b: datasetRef })),
      }),
      parentVersions: listDiff(z.int()),
      changed: z
        .record(z.string(), z.object({ a: z.optional(z.string()), b: z.optional(z.string()) }))
        .register(z.globalRegistry, { description: "codeCommit, experimentId, runId where they differ" }),
    }),
  }),
);
export type ComparisonView = z.infer<typeof comparisonView>;
