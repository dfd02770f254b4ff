import { buildQueryDeps } from "../../shared/query-composition";
import { composeProcess, createApiHandler } from "../../shared/http/api-handler";
import { queryRoutes } from "../../shared/routes/query";
import { getModel } from "../../shared/use-cases/get-model";
import { listModels } from "../../shared/use-cases/list-models";
import { getVersion } from "../../shared/use-cases/get-version";
import { listVersions } from "../../shared/use-cases/list-versions";
import { listHistory } from "../../shared/use-cases/list-history";
import { stagesAt } from "../../shared/use-cases/stages-at";
import { compareVersions } from "../../shared/use-cases/compare-versions";
import { listDatasetUsage } from "../../shared/use-cases/list-dataset-usage";
import { getStageVersion } from "../../shared/use-cases/get-stage-version";
import { listStageVersions } from "../../shared/use-cases/list-stage-versions";
import { resolveModelUri } from "../../shared/use-cases/resolve-model-uri";
import { getPolicy } from "../../shared/use-cases/get-policy";
import { listApprovals } from "../../shared/use-cases/list-approvals";
import { getRetentionRules } from "../../shared/use-cases/retention-rules";
import { previewRetention } from "../../shared/use-cases/housekeeping";
import { mlflowQueryAdapters } from "../../shared/mlflow/adapters";
import { loadOpenApiDocument } from "#openapi-document";

const { deps, ...root } = composeProcess(buildQueryDeps);
const ok = (body: unknown) => ({ status: 200, body });
/**
 * The document describes every function's routes, so it needs the whole table's schemas: the
 * deployed function reads it as generated at build time, from source it is built (package.json,
 * imports); either way on the first request that asks for it, as it never changes within a process.
 */
let openapi: Promise<unknown> | undefined;
const openApiDocument = () => (openapi ??= loadOpenApiDocument());

/** Read-only routes: translate the request, call one use case, shape the answer. */
export const handler = createApiHandler("query", queryRoutes, root, {
  "GET /health": async () => ok({ status: "ok" }),
  "GET /openapi.json": async () => ok(await openApiDocument()),
  "GET /models": async ({ query }) => ok(await listModels(deps, query)),
  "GET /models/{name}": async ({ path }) => ok(await getModel(deps, path.name)),
  "GET /models/{name}/versions": async ({ path, query }) => {
    const { limit, cursor, ...filters } = query;
    return ok(await listVersions(deps, path.name, filters, { limit, cursor }));
  },
  "GET /models/{name}/versions/{v}": async ({ path }) => ok(await getVersion(deps, path.name, path.v)),
  "GET /models/{name}/versions/{v}/approvals": async ({ path, query }) => ok(await listApprovals(deps, path.name, path.v, query)),
  "GET /models/{name}/history": async ({ path, query }) => ok(await listHistory(deps, path.name, query)),
  "GET /models/{name}/history/at": async ({ path, query }) => ok(await stagesAt(deps, path.name, query.time)),
  "GET /models/{name}/compare": async ({ path, query }) => ok(await compareVersions(deps, path.name, query.versions)),
  "GET /lineage/datasets/{id+}": async ({ path, query }) => ok(await listDatasetUsage(deps, path.id, query)),
  "GET /models/{name}/stages/{stage}": async ({ path }) => ok(await getStageVersion(deps, path.name, path.stage)),
  "GET /stages/{stage}/versions": async ({ path, query }) => ok(await listStageVersions(deps, path.stage, query)),
  "GET /models/{name}/policy": async ({ path }) => ok(await getPolicy(deps, path.name)),
  "GET /models/{name}/retention": async ({ path }) => ok(await getRetentionRules(deps, path.name)),
  "GET /models/{name}/retention/preview": async ({ path, query }) => ok(await previewRetention(deps, path.name, query)),
  "GET /resolve": async ({ query }) => ok(await resolveModelUri(deps, query.uri)),
  ...mlflowQueryAdapters(deps),
});
