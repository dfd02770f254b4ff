import { describe, expect, it } from "vitest";
import { parseOrThrow } from "../../shared/http/validation";
import { policyBody } from "../../shared/schemas/policy";

const refusalOf = (body: unknown) => {
  try {
    parseOrThrow(policyBody, body, "body");
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
};

describe("a refused field that takes one of several forms", () => {
  it("names what is wrong with the form its value has", () => {
    const tooMany = Array.from({ length: 51 }, (_, i) => `tag${i}`);

    expect(refusalOf({ Staging: { requiredTags: tooMany } })).toMatchObject({
      code: "ValidationError",
      details: [{ path: "body.Staging.requiredTags", message: "at most 50 tags" }],
    });
  });

  it("says only that the value is invalid when it has none of the forms' types", () => {
    expect(refusalOf({ Staging: { requiredTags: 5 } })).toMatchObject({
      details: [{ path: "body.Staging.requiredTags", message: "Invalid input" }],
    });
  });
});
