import type * as z from "./zod";
import { createModelBody, deletedModelView, listModelsQuery, modelPage, modelPath, modelView, updateModelBody } from "./schemas/model";
import {
  listVersionsQuery,
  registerVersionBody,
  registeredVersionView,
  updateVersionBody,
  versionPage,
  versionFilePath,
  versionPath,
  versionView,
} from "./schemas/version";
import { healthView, openApiDocument } from "./schemas/system";
import {
  resolveQuery,
  resolvedVersionView,
  rollbackBody,
  rollbackPath,
  stageListPath,
  stageListQuery,
  stagePath,
  transitionBody,
  transitionView,
} from "./schemas/lifecycle";
import { aliasPath, aliasView, setAliasBody } from "./schemas/alias";
import { policyBody, policyPath, policyView } from "./schemas/policy";
import { approvalPage, approvalView, listApprovalsQuery, recordApprovalBody } from "./schemas/approval";
import { protectionBody, protectionPath, retentionBody, retentionPath, retentionPreview, retentionView } from "./schemas/retention";
import { historyAtQuery, historyPage, historyQuery, stagesAtView } from "./schemas/history";
import { compareQuery, comparisonView } from "./schemas/compare";
import { datasetPath, datasetUsagePage, datasetUsageQuery } from "./schemas/lineage";
import {
  completeUploadBody,
  deletedVersionView,
  artifactDownloadQuery,
  artifactDownloadView,
  uploadsPage,
  uploadsQuery,
  fileDownloadView,
  partUrlsBody,
  restartUploadBody,
  uploadView,
} from "./schemas/artifact";
import type { Role } from "./domain/permissions";
import { MLFLOW_ROUTES } from "./mlflow/routes";

/**
 * The one route table: the CDK API stack, the local gateway and the OpenAPI document all read it.
 * Each function is a privilege boundary: it gets only the grants its routes need.
 */
export const FUNCTIONS = {
  query: { description: "Read-only routes", grants: ["readTable"] },
  // Registration counts references to the bytes it declares, checks the bucket for bytes it already holds, starts multipart uploads and presigns their URLs.
  catalog: {
    description: "Create and edit models and versions",
    grants: ["readTable", "writeTable", "writeArtifactRefs", "presignUploads", "readArtifacts"],
  },
  lifecycle: {
    description: "Stage moves, rollback, aliases, approvals, promotion policy, retention rules and protection",
    grants: ["readTable", "writeTable"],
  },
  // Completing an upload checks the object (HEAD) and hands its verification to the verifier's queue: nothing here hashes.
  artifacts: {
    description: "Artifact uploads, verification, version and model deletion",
    grants: ["readTable", "writeTable", "writeArtifactRefs", "presignUploads", "readArtifacts", "deleteArtifacts", "sendVerificationTasks"],
  },
  // Readers' downloads: presigning a GET needs s3:GetObject, and nothing here may change or delete an object.
  downloads: { description: "Presigned artifact downloads (read-only)", grants: ["readTable", "readArtifacts"] },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

/**
 * The verifier: not behind the API, fed by the verification queue. It reads artifacts (ranged GETs),
 * writes the table (progress, READY/FAILED) and deletes bytes that failed; a task hashes for its
 * time budget (VERIFY_BUDGET_SECONDS), within this timeout, on a whole vCPU.
 */
export const VERIFIER_FUNCTION = {
  description: "Verifies uploaded artifacts: resumable SHA-256 over ranged GETs",
  grants: ["readTable", "writeTable", "writeArtifactRefs", "readArtifacts", "deleteArtifacts"],
  memoryMb: 1769,
  timeoutSeconds: 900,
} as const;
/**
 * Housekeeping: not behind the API, run on a schedule. It reads models' versions and rules, deletes
 * versions through the same transaction as DELETE …/versions/{v} (reference counts included), and
 * deletes their objects and open multipart uploads; it never reads or writes bytes.
 */
export const HOUSEKEEPING_FUNCTION = {
  description: "Applies models' retention rules: deletes the versions they name, within each run's bounds",
  grants: ["readTable", "writeTable", "writeArtifactRefs", "deleteArtifacts"],
  timeoutSeconds: 600,
} as const;

export type Grant = (typeof FUNCTIONS)[FunctionName]["grants"][number];

export { ROLES, type Role } from "./domain/permissions";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly function: FunctionName;
  readonly role: Role;
  readonly operationId: string;
  readonly summary: string;
  readonly request?: { readonly path?: z.core.$ZodType; readonly query?: z.core.$ZodType; readonly body?: z.core.$ZodType };
  readonly response: { readonly status: number; readonly schema: z.core.$ZodType };
}

export const routes = [
  {
    method: "GET",
    path: "/health",
    function: "query",
    role: "reader",
    operationId: "health",
    summary: "Liveness check",
    response: { status: 200, schema: healthView },
  },
  {
    method: "GET",
    path: "/openapi.json",
    function: "query",
    role: "reader",
    operationId: "openapi",
    summary: "This API's OpenAPI 3.1 document",
    response: { status: 200, schema: openApiDocument },
  },
  {
    method: "POST",
    path: "/models",
    function: "catalog",
    role: "publisher",
    operationId: "createModel",
    summary: "Create a model",
    request: { body: createModelBody },
    response: { status: 201, schema: modelView },
  },
  {
    method: "GET",
    path: "/models",
    function: "query",
    role: "reader",
    operationId: "listModels",
    summary: "List models in name order",
    request: { query: listModelsQuery },
    response: { status: 200, schema: modelPage },
  },
  {
    method: "GET",
    path: "/models/{name}",
    function: "query",
    role: "reader",
    operationId: "getModel",
    summary: "Get a model with its stages and aliases",
    request: { path: modelPath },
    response: { status: 200, schema: modelView },
  },
  {
    method: "PATCH",
    path: "/models/{name}",
    function: "catalog",
    role: "publisher",
    operationId: "updateModel",
    summary: "Change a model's description or tags",
    request: { path: modelPath, body: updateModelBody },
    response: { status: 200, schema: modelView },
  },
  {
    method: "POST",
    path: "/models/{name}/versions",
    function: "catalog",
    role: "publisher",
    operationId: "registerVersion",
    summary: "Register a new version (creates the model if absent)",
    request: { path: modelPath, body: registerVersionBody },
    response: { status: 201, schema: registeredVersionView },
  },
  {
    method: "GET",
    path: "/models/{name}/versions",
    function: "query",
    role: "reader",
    operationId: "listVersions",
    summary: "List versions, newest first, with filters",
    request: { path: modelPath, query: listVersionsQuery },
    response: { status: 200, schema: versionPage },
  },
  {
    method: "GET",
    path: "/models/{name}/versions/{v}",
    function: "query",
    role: "reader",
    operationId: "getVersion",
    summary: "Get one version by number, v<semver>, stage, alias or latest",
    request: { path: versionPath },
    response: { status: 200, schema: versionView },
  },
  {
    method: "PATCH",
    path: "/models/{name}/versions/{v}",
    function: "catalog",
    role: "publisher",
    operationId: "updateVersion",
    summary: "Change a version's description or tags",
    request: { path: versionPath, body: updateVersionBody },
    response: { status: 200, schema: versionView },
  },
  {
    method: "DELETE",
    path: "/models/{name}",
    function: "artifacts",
    role: "admin",
    operationId: "deleteModel",
    summary:
      "Delete a model with all its versions (none in Staging or Production); its history stays, and the name can be registered again",
    request: { path: modelPath },
    response: { status: 200, schema: deletedModelView },
  },
  {
    method: "DELETE",
    path: "/models/{name}/versions/{v}",
    function: "artifacts",
    role: "admin",
    operationId: "deleteVersion",
    summary: "Delete an Archived version; its artifact object goes when no other version shares it",
    request: { path: versionPath },
    response: { status: 200, schema: deletedVersionView },
  },
  {
    method: "POST",
    path: "/models/{name}/versions/{v}/artifact/upload",
    function: "artifacts",
    role: "publisher",
    operationId: "restartUpload",
    summary: "Start the upload again with fresh URLs (PENDING_UPLOAD or FAILED versions)",
    request: { path: versionPath, body: restartUploadBody },
    response: { status: 200, schema: registeredVersionView },
  },
  {
    method: "POST",
    path: "/models/{name}/versions/{v}/artifact/parts",
    function: "artifacts",
    role: "publisher",
    operationId: "requestPartUrls",
    summary: "Fresh presigned URLs for parts of a multipart upload, each signing its part's SHA-256",
    request: { path: versionPath, body: partUrlsBody },
    response: { status: 200, schema: uploadView },
  },
  {
    method: "GET",
    path: "/models/{name}/versions/{v}/artifact/uploads",
    function: "artifacts",
    role: "publisher",
    operationId: "listUploads",
    summary:
      "A page of a PENDING_UPLOAD multi-file version's uploads, in the order declared: each file's fresh upload, or null when it has nothing to send",
    request: { path: versionPath, query: uploadsQuery },
    response: { status: 200, schema: uploadsPage },
  },
  {
    method: "POST",
    path: "/models/{name}/versions/{v}/artifact/complete",
    function: "artifacts",
    role: "publisher",
    operationId: "completeUpload",
    summary:
      "Finish the upload: 202 VERIFYING while the registry checks the SHA-256 (poll the version until READY or FAILED); 200 when already settled",
    request: { path: versionPath, body: completeUploadBody },
    response: { status: 202, schema: versionView },
  },
  {
    method: "GET",
    path: "/models/{name}/versions/{v}/artifact",
    function: "downloads",
    role: "reader",
    operationId: "downloadArtifact",
    summary:
      "A READY version's bytes, each with a presigned download URL (15 minutes): one artifact's `url`, or a page of a multi-file version's `files`",
    request: { path: versionPath, query: artifactDownloadQuery },
    response: { status: 200, schema: artifactDownloadView },
  },
  {
    method: "GET",
    path: "/models/{name}/versions/{v}/artifact/files/{path}",
    function: "downloads",
    role: "reader",
    operationId: "downloadArtifactFile",
    summary: "One file of a READY version (its path URL-encoded) with a presigned download URL (15 minutes)",
    request: { path: versionFilePath },
    response: { status: 200, schema: fileDownloadView },
  },
  {
    method: "GET",
    path: "/models/{name}/history",
    function: "query",
    role: "reader",
    operationId: "listHistory",
    summary: "The model's audit trail, newest first",
    request: { path: modelPath, query: historyQuery },
    response: { status: 200, schema: historyPage },
  },
  {
    method: "GET",
    path: "/models/{name}/history/at",
    function: "query",
    role: "reader",
    operationId: "getStagesAt",
    summary: "Which version held each stage and alias at an instant",
    request: { path: modelPath, query: historyAtQuery },
    response: { status: 200, schema: stagesAtView },
  },
  {
    method: "GET",
    path: "/models/{name}/compare",
    function: "query",
    role: "reader",
    operationId: "compareVersions",
    summary: "Metric deltas and param, feature, dependency and lineage differences of two versions",
    request: { path: modelPath, query: compareQuery },
    response: { status: 200, schema: comparisonView },
  },
  {
    method: "GET",
    path: "/lineage/datasets/{id}",
    function: "query",
    role: "reader",
    operationId: "listDatasetUsage",
    summary: "Versions trained on a dataset (impact analysis)",
    request: { path: datasetPath, query: datasetUsageQuery },
    response: { status: 200, schema: datasetUsagePage },
  },
  {
    method: "POST",
    path: "/models/{name}/versions/{v}/transitions",
    function: "lifecycle",
    role: "promoter",
    operationId: "transitionVersion",
    summary: "Move a version to another stage (to Archived: admin), atomically, compare-and-set on Production",
    request: { path: versionPath, body: transitionBody },
    response: { status: 200, schema: transitionView },
  },
  {
    method: "POST",
    path: "/models/{name}/stages/{stage}/rollback",
    function: "lifecycle",
    role: "promoter",
    operationId: "rollbackStage",
    summary: "Put back the version that was in Production before the current one",
    request: { path: rollbackPath, body: rollbackBody },
    response: { status: 200, schema: transitionView },
  },
  {
    method: "GET",
    path: "/models/{name}/stages/{stage}",
    function: "query",
    role: "reader",
    operationId: "getStageVersion",
    summary: "The version now in a stage (Staging, Archived: the highest-numbered one)",
    request: { path: stagePath },
    response: { status: 200, schema: versionView },
  },
  {
    method: "GET",
    path: "/stages/{stage}/versions",
    function: "query",
    role: "reader",
    operationId: "listStageVersions",
    summary: "Every model's versions in a stage",
    request: { path: stageListPath, query: stageListQuery },
    response: { status: 200, schema: versionPage },
  },
  {
    method: "PUT",
    path: "/models/{name}/aliases/{alias}",
    function: "lifecycle",
    role: "promoter",
    operationId: "setAlias",
    summary: "Point an alias at a version, compare-and-set",
    request: { path: aliasPath, body: setAliasBody },
    response: { status: 200, schema: aliasView },
  },
  {
    method: "DELETE",
    path: "/models/{name}/aliases/{alias}",
    function: "lifecycle",
    role: "promoter",
    operationId: "deleteAlias",
    summary: "Remove an alias",
    request: { path: aliasPath },
    response: { status: 200, schema: aliasView },
  },
  {
    method: "POST",
    path: "/models/{name}/versions/{v}/approvals",
    function: "lifecycle",
    role: "approver",
    operationId: "recordApproval",
    summary: "Approve or reject a version for a stage (or a protected alias, alias:<alias>); an approver's latest decision stands",
    request: { path: versionPath, body: recordApprovalBody },
    response: { status: 200, schema: approvalView },
  },
  {
    method: "GET",
    path: "/models/{name}/versions/{v}/approvals",
    function: "query",
    role: "reader",
    operationId: "listApprovals",
    summary: "A version's standing approvals and rejections, in stage then approver order",
    request: { path: versionPath, query: listApprovalsQuery },
    response: { status: 200, schema: approvalPage },
  },
  {
    method: "PUT",
    path: "/models/{name}/policy",
    function: "lifecycle",
    role: "admin",
    operationId: "putPolicy",
    summary: "Replace the model's promotion policy",
    request: { path: policyPath, body: policyBody },
    response: { status: 200, schema: policyView },
  },
  {
    method: "GET",
    path: "/models/{name}/policy",
    function: "query",
    role: "reader",
    operationId: "getPolicy",
    summary: "The model's promotion policy",
    request: { path: policyPath },
    response: { status: 200, schema: policyView },
  },
  {
    method: "PUT",
    path: "/models/{name}/retention",
    function: "lifecycle",
    role: "admin",
    operationId: "putRetention",
    summary: "Replace the model's retention rules ({} removes them); housekeeping applies them",
    request: { path: retentionPath, body: retentionBody },
    response: { status: 200, schema: retentionView },
  },
  {
    method: "GET",
    path: "/models/{name}/retention",
    function: "query",
    role: "reader",
    operationId: "getRetention",
    summary: "The model's retention rules",
    request: { path: retentionPath },
    response: { status: 200, schema: retentionView },
  },
  {
    method: "GET",
    path: "/models/{name}/retention/preview",
    function: "query",
    role: "reader",
    operationId: "previewRetention",
    summary: "What the next housekeeping run would delete, and why; what a rule names but something keeps (dry run)",
    request: { path: retentionPath },
    response: { status: 200, schema: retentionPreview },
  },
  {
    method: "PUT",
    path: "/models/{name}/versions/{v}/protection",
    function: "lifecycle",
    role: "admin",
    operationId: "protectVersion",
    summary: "Protect a version from retention rules, or lift its protection",
    request: { path: protectionPath, body: protectionBody },
    response: { status: 200, schema: versionView },
  },
  {
    method: "GET",
    path: "/resolve",
    function: "query",
    role: "reader",
    operationId: "resolveModelUri",
    summary: "Resolve a model URI (models:/<name>/<version|Stage>, models:/<name>@<alias|v<semver>>) to a version",
    request: { query: resolveQuery },
    response: { status: 200, schema: resolvedVersionView },
  },
  ...MLFLOW_ROUTES,
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type RouteKey = `${Route["method"]} ${Route["path"]}`;

export const routeKey = (route: Pick<RouteDefinition, "method" | "path">): string => `${route.method} ${route.path}`;

/** Every method but GET changes something: those routes take an Idempotency-Key. */
export const isWriteRoute = (route: Pick<RouteDefinition, "method">): boolean => route.method !== "GET";
