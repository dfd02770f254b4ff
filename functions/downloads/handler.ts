import { loadConfig } from "../../shared/config";
import { buildArtifactDeps } from "../../shared/artifacts-composition";
import { createApiHandler, createApiProcess } from "../../shared/http/api-handler";
import { getArtifactDownload, getFileDownload } from "../../shared/use-cases/get-artifact-download";

const root = createApiProcess(loadConfig());
// Its role may read artifact objects and the table, nothing more: a presigned GET is signed with it.
const deps = buildArtifactDeps(root.config, root.dynamodb, root.logger, root.metrics);

/** Presigned downloads for readers: translate the request, call one use case, shape the answer. */
export const handler = createApiHandler("downloads", root, {
  "GET /models/{name}/versions/{v}/artifact": async ({ path, query }) => ({
    status: 200,
    body: await getArtifactDownload(deps, path.name, path.v, query),
  }),
  "GET /models/{name}/versions/{v}/artifact/files/{path}": async ({ path }) => ({
    status: 200,
    body: await getFileDownload(deps, path.name, path.v, path.path),
  }),
});
