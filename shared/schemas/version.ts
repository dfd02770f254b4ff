import * as z from "zod";
import { cursor, description, limit, modelName, semver, tags } from "./common";
import { LATEST, aliasName } from "./alias";
import { artifactDeclaration, artifactView, uploadView } from "./artifact";

export const STAGES = ["None", "Staging", "Production", "Archived"] as const;
export const stage = z.enum(STAGES);
export type Stage = z.infer<typeof stage>;
/** The stages a version can be found by ("the version in Production"); None is where versions start. */
export const ASSIGNED_STAGES = ["Staging", "Production", "Archived"] as const;
export const assignedStage = z.enum(ASSIGNED_STAGES);
export type AssignedStage = z.infer<typeof assignedStage>;

export const VERSION_STATUSES = ["PENDING_UPLOAD", "READY", "FAILED"] as const;
export const versionStatus = z.enum(VERSION_STATUSES);
export type VersionStatus = z.infer<typeof versionStatus>;

export const metricName = z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, "a metric name is 1-128 letters, digits or _ . : / -");
export const finite = z.number().refine(Number.isFinite, "must be a finite number");

const dataset = z.strictObject({
  id: z.string().min(1).max(256),
  version: z.string().max(128).optional(),
  uri: z.string().max(2048).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a sha256 is 64 lowercase hex characters").optional(),
});

export const lineage = z.strictObject({
  parentVersions: z.array(z.number().int().positive()).max(50).default([]),
  datasets: z.array(dataset).max(20).default([]),
  codeCommit: z.string().max(128).optional(),
  experimentId: z.string().max(256).optional(),
  runId: z.string().max(256).optional(),
});

/** The metadata of SPEC §2: immutable once registered, except description and tags. */
export const versionMetadata = z.strictObject({
  description: description.optional(),
  metrics: z.record(metricName, finite).default({}),
  params: z.record(z.string().min(1).max(256), z.union([z.string().max(4096), finite, z.boolean()])).default({}),
  features: z.array(z.string().min(1).max(256)).max(5000).default([]),
  modelType: z.string().max(128).optional(),
  framework: z.string().max(128).optional(),
  frameworkVersion: z.string().max(64).optional(),
  trainedAt: z.iso.datetime({ offset: true }).optional(),
  dependencies: z.record(z.string().min(1).max(256), z.string().max(256)).default({}),
  lineage: lineage.default({ parentVersions: [], datasets: [] }),
  tags: tags.default({}),
});
export type VersionMetadata = z.infer<typeof versionMetadata>;

export const registerVersionBody = versionMetadata
  .extend({
    semver: semver.optional(),
    bump: z.enum(["major", "minor", "patch"]).optional(),
    source: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .meta({ description: "Where the bytes live when the registry does not hold them: s3://…, runs:/<id>/model, https://…" }),
    artifact: artifactDeclaration.optional().meta({ description: "The bytes to upload through presigned URLs, checksum-verified (instead of source)" }),
  })
  .refine((body) => !(body.semver && body.bump), { message: "give either semver or bump, not both", path: ["bump"] })
  .refine((body) => (body.source === undefined) !== (body.artifact === undefined), { message: "give either source (bytes kept elsewhere) or artifact (bytes uploaded here), exactly one", path: ["artifact"] });
export type RegisterVersionInput = z.infer<typeof registerVersionBody>;

export const updateVersionBody = z
  .strictObject({ description: description.optional(), tags: tags.optional() })
  .refine((body) => body.description !== undefined || body.tags !== undefined, "give description, tags or both");
export type UpdateVersionInput = z.infer<typeof updateVersionBody>;

/** `{v}` in a path: a version number, `v<semver>`, a stage (the version in it), an alias, or `latest` (the newest READY version). */
export const versionSelector = z.union([
  z.string().regex(/^[1-9]\d{0,9}$/).transform((v) => ({ number: Number(v) })),
  z.string().regex(/^v\d+\.\d+\.\d+$/).transform((v) => ({ semver: v.slice(1) })),
  assignedStage.transform((stage) => ({ stage })),
  z.literal(LATEST).transform(() => ({ latest: true as const })),
  aliasName.transform((alias) => ({ alias })),
], { error: "a version is a number (3), a semantic label (v1.4.0), a stage (Production), an alias (champion) or latest" });
export type VersionSelector = z.infer<typeof versionSelector>;

export const versionPath = z.object({ name: modelName, v: versionSelector });

const FILTER_PARAMETER = /^(minMetric|maxMetric|tag)\.(.{1,128})$/;
/** DynamoDB caps a filter expression's size; 20 conditions is far more than a listing needs. */
const MAX_FILTERS = 20;

const versionListOptions = z.strictObject({
  stage: stage.optional(),
  status: versionStatus.optional(),
  limit,
  cursor,
});

/**
 * The list query: fixed options plus `minMetric.<m>`, `maxMetric.<m>` and `tag.<k>` filters,
 * gathered into maps. Unknown parameters are rejected so that a typo does not silently widen the list.
 */
export const listVersionsQuery = z
  .record(z.string(), z.string())
  .meta({ description: "stage, status, limit, cursor, and filters minMetric.<metric>=<n>, maxMetric.<metric>=<n>, tag.<key>=<value>" })
  .transform((query, ctx) => {
    const options: Record<string, string> = {};
    const filters = { minMetrics: {} as Record<string, number>, maxMetrics: {} as Record<string, number>, tags: {} as Record<string, string> };
    for (const [parameter, value] of Object.entries(query)) {
      const [, kind, key] = FILTER_PARAMETER.exec(parameter) ?? [];
      if (!kind || !key) options[parameter] = value;
      else if (kind === "tag") filters.tags[key] = value;
      else if (value.trim() === "" || !Number.isFinite(Number(value))) ctx.addIssue({ code: "custom", path: [parameter], message: "must be a finite number" });
      else filters[kind === "minMetric" ? "minMetrics" : "maxMetrics"][key] = Number(value);
    }
    const filterCount = Object.keys(query).length - Object.keys(options).length;
    if (filterCount > MAX_FILTERS) ctx.addIssue({ code: "custom", path: [], message: `at most ${MAX_FILTERS} minMetric./maxMetric./tag. filters; got ${filterCount}` });
    const parsed = versionListOptions.safeParse(options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
      return z.NEVER;
    }
    return { ...parsed.data, ...filters };
  });

export const versionView = versionMetadata.extend({
  model: z.string(),
  version: z.number().int(),
  semver: z.string().optional(),
  status: versionStatus,
  stage,
  source: z.string().optional(),
  artifact: artifactView.optional(),
  uri: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type VersionView = z.infer<typeof versionView>;

export const registeredVersionView = versionView.extend({
  upload: uploadView.nullable().meta({ description: "Where to send the bytes; null when nothing needs uploading (source, or the bucket already holds them)" }),
  warnings: z.array(z.string()).optional(),
});

export const versionPage = z.object({ items: z.array(versionView), nextCursor: z.string().optional() });
