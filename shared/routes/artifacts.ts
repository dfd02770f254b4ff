import type { RouteDefinition } from "./route";
import {
  completeUploadBody,
  deletedVersionView,
  partUrlsBody,
  restartUploadBody,
  uploadView,
  uploadsPage,
  uploadsQuery,
} from "../schemas/artifact";
import { deletedModelView, modelPath } from "../schemas/model";
import { registeredVersionView, versionPath, versionView } from "../schemas/version";
import { MLFLOW_ARTIFACTS_ROUTES } from "../mlflow/routes/artifacts";

/** The artifacts function's routes (artifact uploads, verification, version and model deletion): its handler imports these, not the whole table, so it loads no other function's schemas. */
export const artifactsRoutes = [
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
      "A page of a PENDING_UPLOAD version's uploads, in the order declared (one artifact: its one file): each file's fresh upload, or null when it has nothing to send",
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
  ...MLFLOW_ARTIFACTS_ROUTES,
] as const satisfies readonly RouteDefinition<"artifacts">[];
