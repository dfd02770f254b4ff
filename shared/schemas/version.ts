import * as z from "../zod";
import { description, modelName, namedMap, semver, storableNumber, tags } from "./common";
import { aliasName } from "./alias";
import { ASSIGNED_STAGES, LATEST, findStage, unknownStage, type AssignedStage, type VersionSelector } from "../domain/model-uri";
import { STAGES, VERSION_STATUSES, type Stage } from "../domain/lifecycle";
import { pathRuleBroken } from "../domain/file-paths";
import {
  artifactDeclaration,
  artifactView,
  fileUploadView,
  filesDeclaration,
  filesView,
  sha256Hex,
  uploadView,
  verificationProgress,
} from "./artifact";

export { ASSIGNED_STAGES, STAGES, VERSION_STATUSES, type AssignedStage, type Stage, type VersionSelector };

export const stage = /* @__PURE__ */ z.onFirstUse(() => z.enum(STAGES));
export const assignedStage = /* @__PURE__ */ z.onFirstUse(() => z.enum(ASSIGNED_STAGES));

/**
 * A stage name a caller sends (path, query or body), in any case, normalised to its spelling:
 * `production` is Production everywhere, as in a model URI. Anything else is refused with the spellings.
 */
export function stageSpelledAnyCase<S extends string>(stages: readonly [S, ...S[]]) {
  return z.pipe(
    z.string().register(z.globalRegistry, {
      description: `${stages.join(", ")}, in any case`,
      example: stages.find((s) => s === "Production") ?? stages[0],
    }),
    z.transform((text, ctx): S => {
      const found = findStage(text, stages);
      if (found) return found;
      ctx.issues.push({ code: "custom", message: unknownStage(text, stages), input: text });
      return z.NEVER;
    }),
  );
}
export const stageName = /* @__PURE__ */ z.onFirstUse(() => stageSpelledAnyCase(STAGES));
export const assignedStageName = /* @__PURE__ */ z.onFirstUse(() => stageSpelledAnyCase(ASSIGNED_STAGES));

export const versionStatus = /* @__PURE__ */ z.onFirstUse(() => z.enum(VERSION_STATUSES));
export type VersionStatus = z.infer<typeof versionStatus>;

/** Not `__proto__`, which no version's metrics can hold (namedMap): a key metric of that name would index nothing. */
export const metricName = /* @__PURE__ */ z.onFirstUse(() =>
  z.string().check(
    z.regex(/^[A-Za-z0-9_.:/-]{1,128}$/, "a metric name is 1-128 letters, digits or _ . : / -"),
    z.refine((name) => name !== "__proto__", "'__proto__' cannot be a metric name (it is JavaScript's object prototype); choose another"),
  ),
);

const dataset = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    id: z.string().check(z.minLength(1), z.maxLength(256)),
    version: z.optional(z.string().check(z.maxLength(128))),
    uri: z.optional(z.string().check(z.maxLength(2048))),
    sha256: z.optional(sha256Hex),
  }),
);

/** The training run that produced a version (MLflow's run_id). */
export const runId = /* @__PURE__ */ z.onFirstUse(() => z.string().check(z.maxLength(256)));

export const lineage = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    parentVersions: z._default(z.array(z.int().check(z.positive())).check(z.maxLength(50)), []),
    datasets: z._default(z.array(dataset).check(z.maxLength(20)), []),
    codeCommit: z.optional(z.string().check(z.maxLength(128))),
    experimentId: z.optional(z.string().check(z.maxLength(256))),
    runId: z.optional(runId),
  }),
);

/** The metadata of README.md, Concepts: immutable once registered, except description and tags. */
export const versionMetadata = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    description: z.optional(description),
    metrics: z._default(namedMap(metricName, storableNumber), {}),
    params: z._default(
      namedMap(
        z.string().check(z.minLength(1), z.maxLength(256)),
        z.union([z.string().check(z.maxLength(4096)), storableNumber, z.boolean()]),
      ),
      {},
    ),
    features: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(5000)), []),
    modelType: z.optional(z.string().check(z.maxLength(128))),
    framework: z.optional(z.string().check(z.maxLength(128))),
    frameworkVersion: z.optional(z.string().check(z.maxLength(64))),
    trainedAt: z.optional(z.iso.datetime({ offset: true })),
    dependencies: z._default(namedMap(z.string().check(z.minLength(1), z.maxLength(256)), z.string().check(z.maxLength(256))), {}),
    lineage: z._default(lineage, { parentVersions: [], datasets: [] }),
    tags: z._default(tags, {}),
  }),
);
export type VersionMetadata = z.infer<typeof versionMetadata>;

export const registerVersionBody = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .extend(z.built(versionMetadata), {
      semver: z.optional(semver),
      bump: z.optional(z.enum(["major", "minor", "patch"])),
      source: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))).register(z.globalRegistry, {
        description: "Where the bytes live when the registry does not hold them: s3://…, runs:/<id>/model, https://…",
      }),
      artifact: z
        .optional(artifactDeclaration)
        .register(z.globalRegistry, { description: "The bytes to upload through presigned URLs, checksum-verified (instead of source)" }),
      files: z.optional(filesDeclaration).register(z.globalRegistry, {
        description:
          "A version made of several files (a directory), each uploaded and verified like an artifact (instead of source or artifact)",
      }),
    })
    .check(
      z.refine((body) => !(body.semver && body.bump), { message: "give either semver or bump, not both", path: ["bump"] }),
      z.refine((body) => [body.source, body.artifact, body.files].filter((given) => given !== undefined).length === 1, {
        message: "give either source (bytes kept elsewhere), artifact (one file uploaded here) or files (several), exactly one",
        path: ["artifact"],
      }),
    ),
);
export type RegisterVersionInput = z.infer<typeof registerVersionBody>;

export const updateVersionBody = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .strictObject({ description: z.optional(description), tags: z.optional(tags) })
    .check(z.refine((body) => body.description !== undefined || body.tags !== undefined, "give description, tags or both")),
);
export type UpdateVersionInput = z.infer<typeof updateVersionBody>;

/**
 * `{v}` in a path: a version number, `v<semver>`, a stage in any case (the version in it), an alias, or `latest`
 * (the newest READY version). A stage name wins over an alias of the same spelling: aliases cannot take one.
 */
export const versionSelector: z.ZodMiniType<VersionSelector, string> = /* @__PURE__ */ z.onFirstUse(() =>
  z.union(
    [
      z.pipe(
        z.string().check(z.regex(/^[1-9]\d{0,9}$/)),
        z.transform((v) => ({ number: Number(v) })),
      ),
      z.pipe(
        // A label's parts have at most 15 digits (SEMVER_PATTERN): a longer one names none, and is no table key.
        z.string().check(z.regex(/^v\d{1,15}\.\d{1,15}\.\d{1,15}$/)),
        z.transform((v) => ({ semver: v.slice(1) })),
      ),
      z.pipe(
        assignedStageName,
        z.transform((stage) => ({ stage })),
      ),
      z.pipe(
        z.literal(LATEST),
        z.transform(() => ({ latest: true as const })),
      ),
      z.pipe(
        aliasName,
        z.transform((alias) => ({ alias })),
      ),
    ],
    { error: "a version is a number (3), a semantic label (v1.4.0), a stage (Production), an alias (champion) or latest" },
  ),
);

export const versionPath = /* @__PURE__ */ z.onFirstUse(() => z.object({ name: modelName, v: versionSelector }));
export const versionFilePath = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(versionPath), {
    path: z
      .string()
      .check(
        z.superRefine((path, ctx) => {
          const rule = pathRuleBroken(path);
          if (rule) ctx.addIssue({ code: "custom", message: `'${path}' is not a file's path: ${rule}`, input: path });
        }),
      )
      .register(z.globalRegistry, {
        description: "The file's path in the manifest, as it is (tokenizer/config.json) or URL-encoded (tokenizer%2Fconfig.json)",
      }),
  }),
);

export const versionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(versionMetadata), {
    model: z.string(),
    version: z.int(),
    semver: z.optional(z.string()),
    status: versionStatus,
    stage,
    source: z.optional(z.string()),
    artifact: z.optional(artifactView),
    files: z.optional(filesView).register(z.globalRegistry, { description: "A version registered with files: how many, their bytes" }),
    verification: z.optional(verificationProgress).register(z.globalRegistry, {
      description: "VERIFYING only: how far the registry got checking the uploaded files against their declared SHA-256",
    }),
    uri: z.string(),
    protected: z.optional(z.boolean()).register(z.globalRegistry, {
      description: "Set by an admin (PUT …/protection): no retention rule deletes the version",
    }),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);
export type VersionView = z.infer<typeof versionView>;

export const registeredVersionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(versionView), {
    upload: z.nullable(uploadView).register(z.globalRegistry, {
      description: "Where to send the bytes; null when nothing needs uploading (source, or the bucket already holds them)",
    }),
    uploads: z.optional(z.array(fileUploadView)).register(z.globalRegistry, {
      description:
        "A version registered with files: each file's upload, in the order declared (the first 50 of a manifest of more than 64 files)",
    }),
    nextUploadsCursor: z.optional(z.string()).register(z.globalRegistry, {
      description: "When `uploads` holds only the first files: pass it as `cursor` to GET …/artifact/uploads for the others",
    }),
    warnings: z.optional(z.array(z.string())),
  }),
);

export const versionPage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ items: z.array(versionView), nextCursor: z.optional(z.string()) }),
);
