import { describe, expectTypeOf, it } from "vitest";
import type { RequestOf } from "../../client/sdk";

describe("the SDK's request types, taken from the API's schemas", () => {
  it("types a version's metrics, params and tags as the maps the API takes", () => {
    type Body = NonNullable<RequestOf<"registerVersion">["body"]>;

    expectTypeOf<NonNullable<Body["metrics"]>>().toEqualTypeOf<Record<string, number>>();
    expectTypeOf<NonNullable<Body["tags"]>>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<{ auc: string }>().not.toExtend<Body["metrics"]>();
  });
});
