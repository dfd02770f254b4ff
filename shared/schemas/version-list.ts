import * as z from "../zod";
import { cursor, limit, namedMap, storableNumber } from "./common";
import { stageName, versionStatus } from "./version";

/* The query of GET /models/{name}/versions, apart from ./version.ts: only the query function builds it. */

const FILTER_PARAMETER = /^(minMetric|maxMetric|tag)\.(.{1,128})$/;
/** DynamoDB caps a filter expression's size (4 KB); 20 conditions is far more than a listing needs. */
export const MAX_FILTERS = 20;

/** `sort=-metric.auc` (highest first) or `sort=metric.auc` (lowest first): by a key metric the model declares. */
const metricSort = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    z
      .string()
      .check(
        z.regex(
          /^-?metric\.[A-Za-z0-9_.:/-]{1,128}$/,
          "sort by a key metric: metric.<name> (lowest first) or -metric.<name> (highest first)",
        ),
      ),
    z.transform((sort) => ({ metric: sort.slice(sort.indexOf(".") + 1), descending: sort.startsWith("-") })),
  ),
);

const versionListOptions = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    stage: z.optional(stageName),
    status: z.optional(versionStatus),
    sort: z.optional(metricSort),
    limit,
    cursor,
  }),
);

/** A metric filter's bound: a decimal number (not "0x10", " 5" or "") the store can compare with. */
const metricBound = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    z.string().check(z.regex(/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, "must be a decimal number, e.g. 0.95")),
    z.pipe(z.transform(Number), storableNumber),
  ),
);

/**
 * The list query: fixed options plus `minMetric.<m>`, `maxMetric.<m>` and `tag.<k>` filters,
 * gathered into maps. Unknown parameters are rejected so that a typo does not silently widen the list.
 */
export const listVersionsQuery = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    namedMap(z.string(), z.string()).register(z.globalRegistry, {
      description:
        "stage, status, sort (metric.<key metric> or -metric.<key metric>), limit, cursor, and filters minMetric.<metric>=<n>, maxMetric.<metric>=<n>, tag.<key>=<value>",
    }),
    z.transform((query, ctx) => {
      const options: Record<string, string> = {};
      // Entries, not assignments: a filter named __proto__ stays an ordinary key that matches nothing.
      const filters = { minMetric: [] as [string, number][], maxMetric: [] as [string, number][], tag: [] as [string, string][] };
      for (const [parameter, value] of Object.entries(query)) {
        const [, kind, key] = FILTER_PARAMETER.exec(parameter) ?? [];
        if (!key) options[parameter] = value;
        else if (kind === "tag") filters.tag.push([key, value]);
        else {
          const bound = z.safeParse(metricBound, value);
          if (bound.success) filters[kind === "minMetric" ? "minMetric" : "maxMetric"].push([key, bound.data]);
          else
            ctx.issues.push({
              code: "custom",
              path: [parameter],
              message: bound.error.issues.map((issue) => issue.message).join("; "),
              input: query,
            });
        }
      }
      const filterCount = Object.keys(query).length - Object.keys(options).length;
      if (filterCount > MAX_FILTERS)
        ctx.issues.push({
          code: "custom",
          path: [],
          message: `at most ${MAX_FILTERS} minMetric./maxMetric./tag. filters; got ${filterCount}`,
          input: query,
        });
      const parsed = versionListOptions.safeParse(options);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.issues.push({ code: "custom", path: issue.path, message: issue.message, input: query });
        return z.NEVER;
      }
      return {
        ...parsed.data,
        minMetrics: Object.fromEntries(filters.minMetric),
        maxMetrics: Object.fromEntries(filters.maxMetric),
        tags: Object.fromEntries(filters.tag),
      };
    }),
  ),
);
