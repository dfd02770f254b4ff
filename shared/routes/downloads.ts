import type { RouteDefinition } from "./route";
import { artifactDownloadQuery, artifactDownloadView, fileDownloadView } from "../schemas/artifact";
import { versionFilePath, versionPath } from "../schemas/version";

/** The downloads function's routes (presigned artifact downloads): its handler imports these, not the whole table, so it loads no other function's schemas. */
export const downloadsRoutes = [
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
    path: "/models/{name}/versions/{v}/artifact/files/{path+}",
    function: "downloads",
    role: "reader",
    operationId: "downloadArtifactFile",
    summary: "One file of a READY version (its path as it is, or URL-encoded) with a presigned download URL (15 minutes)",
    request: { path: versionFilePath },
    response: { status: 200, schema: fileDownloadView },
  },
] as const satisfies readonly RouteDefinition<"downloads">[];
