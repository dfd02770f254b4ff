import type { RouteDefinition } from "./route";
import { aliasPath, aliasView, setAliasBody } from "../schemas/alias";
import { approvalView, recordApprovalBody } from "../schemas/approval";
import { rollbackBody, rollbackPath, transitionBody, transitionView } from "../schemas/lifecycle";
import { policyBody, policyPath, policyView } from "../schemas/policy";
import { protectionBody, protectionPath, retentionBody, retentionPath, retentionView } from "../schemas/retention";
import { versionPath, versionView } from "../schemas/version";
import { MLFLOW_LIFECYCLE_ROUTES } from "../mlflow/routes/lifecycle";

/** The lifecycle function's routes (stage moves, rollback, aliases, approvals, promotion policy, retention rules and protection): its handler imports these, not the whole table, so it loads no other function's schemas. */
export const lifecycleRoutes = [
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
    method: "PUT",
    path: "/models/{name}/versions/{v}/protection",
    function: "lifecycle",
    role: "admin",
    operationId: "protectVersion",
    summary: "Protect a version from retention rules, or lift its protection",
    request: { path: protectionPath, body: protectionBody },
    response: { status: 200, schema: versionView },
  },
  ...MLFLOW_LIFECYCLE_ROUTES,
] as const satisfies readonly RouteDefinition<"lifecycle">[];
