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
    "fraud_detection_binary",
    "churn_prediction_multiclass",
    "demand_forecasting_regression",
    "recommendation_candidate_generation",
    "recommendation_ranking",
    "search_relevance_scorer",
    "marketing_propensity_model",
    "lending_credit_score",
    "news_classifier",
    "sales_forecaster",
    "st_johns",
    "tree_health_scorer",
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

  const algorithm = /names an algorithm \("(\w+)"\).*name the use case; record the algorithm in `modelType`\/`framework`/;
  const owner = /names a person \("(\w+)"\).*name the product, not its owner; record the owner in tags/;
  const version = /embeds a version/;
  const date = /embeds a date/;
  const status = /carries a status word/;
  const generic = /it is generic/;

  // Every name the naming guide lists as a bad pattern, with each reason it gives.
  it.each([
    ["fraud_detector_v1", [version]],
    ["fraud_detector_v2", [version]],
    ["fraud_detector_final", [status]],
    ["fraud_detector_really_final", [status]],
    ["fraud_detector_oct_2024", [date]],
    ["fraud_detector_v2_final", [version, status]],
    ["fraud_v3_xgboost", [version, algorithm]],
    ["fraud_oct_2024", [date]],
    ["model_v2", [version, generic]],
    ["fraud_model_2024", [date]],
    ["fraud_xgboost", [algorithm]],
    ["churn_lstm", [algorithm]],
    ["model", [generic]],
    ["classifier", [generic]],
    ["production_model", [generic]],
    ["oct_2024_model", [date, generic]],
    ["model_20241008", [date, generic]],
    ["model_oct_2024", [date, generic]],
    ["final_model", [status, generic]],
    ["marias_model", [owner, generic]],
    ["johns_classifier", [owner, generic]],
  ])("refuses %s from the naming guide, with its reasons", (name, reasons) => {
    expect(() => enforceNamingPolicy(name, "strict")).toThrow(expect.objectContaining({ code: "ValidationError" }));
    for (const reason of reasons) expect(judgeModelName(name).message).toMatch(reason);
  });

  it.each([
    ["churn_bert_scorer", "bert"],
    ["fraud-random-forest", "random_forest"],
    ["credit_rf", "rf"],
    ["demand_svm", "svm"],
    ["ticket_cnn_router", "cnn"],
    ["fraud_lightgbm", "lightgbm"],
  ])("names the algorithm in %s and where to record it instead", (name, token) => {
    expect(judgeModelName(name).message).toMatch(algorithm);
    expect(algorithm.exec(judgeModelName(name).message ?? "")?.[1]).toBe(token);
  });

  it("names the owner in a possessive name and says to record the owner in tags", () => {
    expect(owner.exec(judgeModelName("davids_churn_predictor").message ?? "")?.[1]).toBe("davids");
    expect(judgeModelName("davids_churn_predictor").message).not.toMatch(generic);
  });

  it("registers a name with an algorithm or an owner in warn mode, with the advice as a warning", () => {
    expect(enforceNamingPolicy("fraud_xgboost", "warn")).toEqual([expect.stringMatching(algorithm)]);
    expect(enforceNamingPolicy("marias_fraud_detector", "warn")).toEqual([expect.stringMatching(owner)]);
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
