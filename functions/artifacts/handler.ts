import { loadConfig } from "../../shared/config";
import { buildArtifactDeps } from "../../shared/artifacts-composition";
import { createApiHandler } from "../../shared/http/api-handler";
import { completeUpload, deleteVersion, requestPartUrls, restartUpload } from "../../shared/use-cases/artifacts";

const config = loadConfig();
const deps = buildArtifactDeps(config);
const ok = (body: unknown) => ({ status: 200, body });

/** Artifact bytes: presigned uploads, verification, deletion (downloads are the read-only downloads function's). Translate, call one use case, shape the answer. */
export const handler = createApiHandler("artifacts", config, {
  "DELETE /models/{name}/versions/{v}": async ({ path, who }) => ok(await deleteVersion(deps, path.name, path.v, who)),
  "POST /models/{name}/versions/{v}/artifact/upload": async ({ path, body, who }) => ok(await restartUpload(deps, path.name, path.v, body, who)),
  "POST /models/{name}/versions/{v}/artifact/parts": async ({ path, body, who }) => ok(await requestPartUrls(deps, path.name, path.v, body, who)),
  "POST /models/{name}/versions/{v}/artifact/complete": async ({ path, body, who }) => ok(await completeUpload(deps, path.name, path.v, body, who)),
});
