import { describe, expect, it } from "vitest";
import { enforceNamingPolicy, judgeModelName } from "../../shared/domain/naming";

describe("naming policy", () => {
  it.each([
    "fraud_detector",
    "search_ranker",
    "recommendation_engine",
    "churn_predictor",
    "payments_risk_model",
    "lending-credit-score",
    "news_classifier",
    "demand_forecaster",
  ])("accepts the product name %s", (name) => {
    expect(judgeModelName(name).problems).toEqual([]);
  });

  it.each([
    ["fraud_detector_v2", /embeds a version \("v2"\).*register a new version of fraud_detector/],
    ["model_20241008", /embeds a date \("20241008"\).*generic/],
    ["oct_2024_model", /embeds a date \("oct"\).*embeds a date \("2024"\).*generic/],
    ["final_model", /status word \("final"\).*generic/],
    ["model", /generic.*name the product or use case/i],
    ["classifier", /generic/],
    ["production_model", /generic/],
    ["fraud_detector_latest", /status word \("latest"\).*register a new version of fraud_detector/],
    ["fraud_detector_copy", /status word \("copy"\)/],
    ["churn_predictor_2", /embeds a version \("2"\)/],
    ["search_ranker_q3", /embeds a date \("q3"\)/],
  ])("rejects %s and says why", (name, reason) => {
    expect(judgeModelName(name).message).toMatch(reason);
  });

  it("rejects in strict mode with a ValidationError naming the field", () => {
    expect(() => enforceNamingPolicy("fraud_detector_v2", "strict")).toThrow(
      expect.objectContaining({ code: "ValidationError", details: [expect.objectContaining({ path: "name" })] }),
    );
  });

  it("accepts in warn mode and returns the explanation as a warning", () => {
    expect(enforceNamingPolicy("fraud_detector_v2", "warn")).toEqual([expect.stringContaining("register a new version of fraud_detector")]);
    expect(enforceNamingPolicy("fraud_detector", "warn")).toEqual([]);
  });
});
