import { buildDownloadDeps } from "../../shared/downloads-composition";
import { composeProcess, createApiHandler } from "../../shared/http/api-handler";
import { downloadsRoutes } from "../../shared/routes/downloads";
import { getArtifactDownload, getFileDownload } from "../../shared/use-cases/get-artifact-download";

// Its role may read artifact objects and the table, nothing more: a presigned GET is signed with it.
const { deps, ...root } = composeProcess(buildDownloadDeps);

/** Presigned downloads for readers: translate the request, call one use case, shape the answer. */
export const handler = createApiHandler("downloads", downloadsRoutes, root, {
  "GET /models/{name}/versions/{v}/artifact": async ({ path, query }) => ({
    status: 200,
    body: await getArtifactDownload(deps, path.name, path.v, query),
  }),
  "GET /models/{name}/versions/{v}/artifact/files/{path+}": async ({ path }) => ({
    status: 200,
    body: await getFileDownload(deps, path.name, path.v, path.path),
  }),
});
