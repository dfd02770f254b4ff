import { buildRemovalDeps } from "../../shared/removal-composition";
import { composeProcess, createApiHandler } from "../../shared/http/api-handler";
import { loadIdempotency } from "../../shared/http/keyed-writes";
import { artifactsRoutes } from "../../shared/routes/artifacts";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { deleteModel } from "../../shared/use-cases/delete-model";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { requestPartUrls } from "../../shared/use-cases/request-part-urls";
import { restartUpload } from "../../shared/use-cases/restart-upload";
import { listUploads } from "../../shared/use-cases/list-uploads";
import { mlflowArtifactsAdapters } from "../../shared/mlflow/artifacts-adapters";
import type { VersionView } from "../../shared/schemas/version";

const { deps, ...resources } = composeProcess(buildRemovalDeps);
// Its write routes take Idempotency-Keys.
const root = { ...resources, idempotency: loadIdempotency };
const ok = (body: unknown) => ({ status: 200, body });
// Accepted: the bytes are being verified outside the request; the version's view tells how far.
const verifying = (view: VersionView) => ({ status: view.status === "VERIFYING" ? 202 : 200, body: view });

/** Artifact bytes: presigned uploads, verification, deletion of versions and models (downloads are the read-only downloads function's). Translate, call one use case, shape the answer. */
export const handler = createApiHandler("artifacts", artifactsRoutes, root, {
  "DELETE /models/{name}": async ({ path, who }) => ok(await deleteModel(deps, path.name, who)),
  "DELETE /models/{name}/versions/{v}": async ({ path, who }) => ok(await deleteVersion(deps, path.name, path.v, who)),
  "POST /models/{name}/versions/{v}/artifact/upload": async ({ path, body, who }) =>
    ok(await restartUpload(deps, path.name, path.v, body, who)),
  "POST /models/{name}/versions/{v}/artifact/parts": async ({ path, body, who }) =>
    ok(await requestPartUrls(deps, path.name, path.v, body, who)),
  "GET /models/{name}/versions/{v}/artifact/uploads": async ({ path, query }) => ok(await listUploads(deps, path.name, path.v, query)),
  "POST /models/{name}/versions/{v}/artifact/complete": async ({ path, body, who }) =>
    verifying(await completeUpload(deps, path.name, path.v, body, who)),
  ...mlflowArtifactsAdapters(deps),
});
