import { describe, expect, it } from "vitest";
import { parseModelUri } from "../../shared/domain/model-uri";
import { resolveQuery } from "../../shared/schemas/lifecycle";

describe("model URIs naming a file", () => {
  it.each([
    ["models:/fraud_detector/Production/tokenizer.json", { stage: "Production" }, "tokenizer.json"],
    ["models:/fraud_detector/7/tokenizer/vocab.json", { number: 7 }, "tokenizer/vocab.json"],
    ["models:/fraud_detector@champion/weights@2.bin", { alias: "champion" }, "weights@2.bin"],
    ["models:/fraud_detector@v1.4.0/config.json", { semver: "1.4.0" }, "config.json"],
  ])("reads %s as the version's selector and the file after it", (uri, selector, file) => {
    expect(parseModelUri(uri)).toEqual({ name: "fraud_detector", selector, file });
  });

  it("names no file when nothing follows the version's segment", () => {
    expect(parseModelUri("models:/fraud_detector/Production")).toEqual({ name: "fraud_detector", selector: { stage: "Production" } });
  });

  it.each([
    ["models:/fraud_detector/Production/../secrets", "a path has no '..' segments"],
    ["models:/fraud_detector/7/", "a path is not empty"],
    ["models:/fraud_detector/7//etc/passwd", "a path is relative: no leading '/'"],
  ])("refuses %s with the path rule it breaks", (uri, rule) => {
    const parsed = resolveQuery.safeParse({ uri });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(rule);
  });
});
