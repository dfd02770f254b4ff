import { buildLifecycleDeps } from "../../shared/lifecycle-composition";
import { composeProcess, createApiHandler } from "../../shared/http/api-handler";
import { loadIdempotency } from "../../shared/http/keyed-writes";
import { lifecycleRoutes } from "../../shared/routes/lifecycle";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { deleteAlias } from "../../shared/use-cases/delete-alias";
import { setAlias } from "../../shared/use-cases/set-alias";
import { putPolicy } from "../../shared/use-cases/put-policy";
import { recordApproval } from "../../shared/use-cases/record-approval";
import { putRetentionRules } from "../../shared/use-cases/retention-rules";
import { updateVersion } from "../../shared/use-cases/update-version";
import { mlflowLifecycleAdapters } from "../../shared/mlflow/adapters";

const { deps, ...resources } = composeProcess(buildLifecycleDeps);
// Its write routes take Idempotency-Keys.
const root = { ...resources, idempotency: loadIdempotency };
const ok = (body: unknown) => ({ status: 200, body });

/** Stage moves, rollback, aliases, approvals, promotion policy, retention rules and protection: translate the request, call one use case, shape the answer. */
export const handler = createApiHandler("lifecycle", lifecycleRoutes, root, {
  "POST /models/{name}/versions/{v}/transitions": async ({ path, body, who }) =>
    ok(await transitionVersion(deps, path.name, path.v, body, who)),
  "POST /models/{name}/stages/{stage}/rollback": async ({ path, body, who }) => ok(await rollbackProduction(deps, path.name, body, who)),
  "PUT /models/{name}/aliases/{alias}": async ({ path, body, who }) => ok(await setAlias(deps, path.name, path.alias, body, who)),
  "DELETE /models/{name}/aliases/{alias}": async ({ path, who }) => ok(await deleteAlias(deps, path.name, path.alias, who)),
  "POST /models/{name}/versions/{v}/approvals": async ({ path, body, who }) => ok(await recordApproval(deps, path.name, path.v, body, who)),
  "PUT /models/{name}/policy": async ({ path, body, who }) => ok(await putPolicy(deps, path.name, body, who)),
  "PUT /models/{name}/retention": async ({ path, body, who }) => ok(await putRetentionRules(deps, path.name, body, who)),
  "PUT /models/{name}/versions/{v}/protection": async ({ path, body, who }) =>
    ok(await updateVersion(deps, path.name, path.v, { protected: body.protected }, who)),
  ...mlflowLifecycleAdapters(deps),
});
