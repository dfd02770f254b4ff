import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { useTestRegistry, loadHandlers, type ApiHandler } from "../support/registry";
import { ROLES, type Role } from "../../shared/domain/permissions";
import { FUNCTIONS, isWriteRoute, routeKey, routes, type FunctionName, type RouteDefinition } from "../../shared/routes";
import { isMlflowRouteKey } from "../../shared/mlflow/errors";

/** One principal per role, bound to that role alone. */
const principalWith = (role: Role) => `arn:aws:iam::123456789012:role/only-${role}`;
/** A plausible value per path parameter; the role check comes before validation, so any value reaches it. */
const SAMPLE_PARAMETERS: Record<string, string> = {
  name: "fraud_detector",
  v: "1",
  stage: "Production",
  alias: "champion",
  id: "fraud_training",
};

const writeRoutes = (routes as readonly RouteDefinition[]).filter(isWriteRoute);
const matrix = writeRoutes.flatMap((route) => ROLES.map((role) => [routeKey(route), role, route] as const));

const registry = useTestRegistry({ roleBindings: ROLES.map((role) => ({ pattern: principalWith(role), roles: [role] })) });
let handlers: Partial<Record<FunctionName, ApiHandler>>;
beforeAll(async () => {
  handlers = await loadHandlers(registry, ...new Set(writeRoutes.map((route) => route.function)));
});

describe("the permission matrix: every write route of the route table × every role", () => {
  it("covers at least the routes of the catalog", () => {
    expect(writeRoutes.map(routeKey)).toEqual(
      expect.arrayContaining(["POST /models", "POST /models/{name}/versions", "PATCH /models/{name}/versions/{v}"]),
    );
  });

  it("lets every function that serves a write route write the table, where its Idempotency-Key records go", () => {
    for (const fn of Object.keys(handlers) as FunctionName[]) expect(FUNCTIONS[fn].grants, fn).toContain("writeTable");
  });

  it.each(matrix)("%s called by a principal holding only %s", async (key, role, route) => {
    const pathParameters = Object.fromEntries(
      [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name, SAMPLE_PARAMETERS[name as string] ?? "x"]),
    );
    const handler = handlers[route.function] as ApiHandler;

    const response = (await handler(apiEvent({ routeKey: key, pathParameters, body: {}, actor: principalWith(role) }), lambdaContext)) as {
      statusCode: number;
      body: string;
    };

    const answer = JSON.parse(response.body);
    if (role === route.role) {
      // Allowed: the request goes on to validation or the use case (an empty body and a fresh table answer 400 or 404).
      expect(response.statusCode, response.body).not.toBe(403);
      expect(response.statusCode, response.body).toBeLessThan(500);
    } else if (isMlflowRouteKey(key)) {
      // MLflow's error shape: the code and the message, without details.
      expect(response.statusCode).toBe(403);
      expect(answer).toEqual({ error_code: "PERMISSION_DENIED", message: expect.stringContaining(`needs the '${route.role}' role`) });
    } else {
      expect(response.statusCode).toBe(403);
      expect(answer.error).toMatchObject({ code: "Forbidden", details: { missingRole: route.role, roles: [role] } });
      expect(answer.error.message).toContain(`needs the '${route.role}' role`);
    }
  });
});
