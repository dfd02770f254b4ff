import { beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";

const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
let lifecycle: ApiHandler;

beforeAll(async () => {
  let catalog: ApiHandler;
  ({ catalog, lifecycle } = await loadHandlers(registry, "catalog", "lifecycle"));
  const created = await catalog(apiEvent({ routeKey: "POST /models", body: { name } }), lambdaContext);
  expect(created.statusCode).toBe(201);
});

const putPolicy = (body: unknown) =>
  lifecycle(apiEvent({ routeKey: "PUT /models/{name}/policy", pathParameters: { name }, body }), lambdaContext);
const errorOf = (response: APIGatewayProxyStructuredResultV2) =>
  (JSON.parse(response.body ?? "{}") as { error: { code: string; message: string; details?: { path: string; message: string }[] } }).error;

/** `count` names of `length` characters, distinct, made of `filler`. */
const names = (count: number, length: number, filler: string) =>
  Array.from({ length: count }, (_, i) => String(i).padStart(length, filler));
const metricBounds = (count: number, spelling: string) =>
  Object.fromEntries(names(count, 128, spelling).map((metric) => [metric, -1.2345678901234567e-100]));
/** Tag keys and values of the most characters, each of them three bytes in UTF-8. */
const requiredTags = (count: number, spelling: string) =>
  Object.fromEntries(names(count, 128, spelling).map((key) => [key, "€".repeat(256)]));

/** A policy at every bound a gate has, spelled as long as it may be. */
const largestPolicy = (spelling: string) => {
  const gate = {
    minMetrics: metricBounds(50, "m"),
    maxMetrics: metricBounds(50, "n"),
    requiredTags: requiredTags(50, spelling),
  };
  return { Staging: gate, Production: gate, protectedAliases: names(50, 63, "a") };
};

describe("a promotion policy's size", () => {
  it("stores the largest policy, and replaces it with another: its history entry holds both", async () => {
    expect((await putPolicy(largestPolicy("€"))).statusCode).toBe(200);

    const replaced = await putPolicy(largestPolicy("₤"));

    expect(replaced.statusCode).toBe(200);
  });

  it.each([
    { rule: "minMetrics", gate: { minMetrics: metricBounds(51, "m") } },
    { rule: "maxMetrics", gate: { maxMetrics: metricBounds(51, "m") } },
    { rule: "requiredTags", gate: { requiredTags: requiredTags(51, "t") } },
  ])("refuses 51 rules in $rule with 400 naming them, writing nothing", async ({ rule, gate }) => {
    const before = await registry.state();

    const response = await putPolicy({ Staging: gate });

    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details).toEqual([{ path: `body.Staging.${rule}`, message: expect.stringContaining("at most 50") }]);
    expect(await registry.state()).toEqual(before);
  });
});
