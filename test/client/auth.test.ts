import { describe, expect, it } from "vitest";
import { authenticator, defaultAuth, executeApiRegion, sigV4Signer } from "../../client/auth";

/** AWS's SigV4 test suite ("aws-sig-v4-test-suite"): its credentials, region, service and instant. */
const suite = {
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  region: "us-east-1",
  service: "service",
};
const at = new Date("2015-08-30T12:36:00Z");
const scope = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date";

describe("SigV4 signing against AWS's published test vectors", () => {
  const sign = sigV4Signer(suite);

  it("signs get-vanilla", async () => {
    const headers = await sign({ method: "GET", url: new URL("https://example.amazonaws.com/"), headers: {} }, at);
    expect(headers["x-amz-date"]).toBe("20150830T123600Z");
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    );
  });

  it("signs post-vanilla", async () => {
    const headers = await sign({ method: "POST", url: new URL("https://example.amazonaws.com/"), headers: {} }, at);
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
    );
  });

  it("signs get-vanilla-query-order-key-case (the query sorted by key)", async () => {
    const headers = await sign(
      { method: "GET", url: new URL("https://example.amazonaws.com/?Param2=value2&Param1=value1"), headers: {} },
      at,
    );
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 ${scope}, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
    );
  });

  it("signs the body: another body, another signature", async () => {
    const url = new URL("https://abc123.execute-api.eu-west-1.amazonaws.com/models");
    const a = await sign({ method: "POST", url, headers: { "content-type": "application/json" }, body: '{"name":"fraud_detector"}' }, at);
    const b = await sign({ method: "POST", url, headers: { "content-type": "application/json" }, body: '{"name":"fraud_detectot"}' }, at);
    expect(a.authorization).not.toBe(b.authorization);
    expect(a.authorization).toContain("SignedHeaders=content-type;host;x-amz-date");
  });
});

describe("choosing the auth", () => {
  const local = new URL("http://127.0.0.1:3000");
  const deployed = new URL("https://abc123.execute-api.eu-west-1.amazonaws.com");

  it("signs with SigV4 for an execute-api host, in the host's region", async () => {
    expect(defaultAuth(deployed, {}, {})).toEqual({ type: "sigv4" });
    expect(executeApiRegion(deployed)).toBe("eu-west-1");
    const sign = authenticator({ type: "sigv4", credentials: suite.credentials, now: () => at }, deployed, {});
    const headers = await sign({ method: "GET", url: new URL("/health", deployed), headers: {} });
    expect(headers.authorization).toContain("Credential=AKIDEXAMPLE/20150830/eu-west-1/execute-api/aws4_request");
  });

  it("sends the bearer token of --token or REGISTRY_TOKEN, else nothing, for a local registry", async () => {
    expect(defaultAuth(local, {}, { REGISTRY_TOKEN: "alice-secret" })).toEqual({ type: "token", token: "alice-secret" });
    expect(defaultAuth(local, { token: "bot-secret" }, { REGISTRY_TOKEN: "alice-secret" })).toEqual({ type: "token", token: "bot-secret" });
    expect(defaultAuth(local, {}, {})).toEqual({ type: "none" });
    const headers = await authenticator({ type: "token", token: "alice-secret" }, local)({ method: "GET", url: local, headers: {} });
    expect(headers).toEqual({ authorization: "Bearer alice-secret" });
  });

  it("refuses SigV4 without a region rather than sign for the wrong one", () => {
    expect(() => authenticator({ type: "sigv4", credentials: suite.credentials }, new URL("https://registry.example.com"), {})).toThrow(
      /AWS_REGION/,
    );
  });
});
