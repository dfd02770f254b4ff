import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import { sigV4Signer } from "../../client/auth";
import { verifySigV4, type SignedRequest, type VerifyOptions } from "../../infra/local/sigv4-verifier";
import { ArtifactBucket } from "../../shared/store/artifact-bucket";

/** AWS's SigV4 test suite ("aws-sig-v4-test-suite"): its credentials, region, service and instant. */
const suite = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const at = new Date("2015-08-30T12:36:00Z");
const secretFor = (key: string) => (key === suite.accessKeyId ? suite.secretAccessKey : undefined);
const sha256 = (body: string) => createHash("sha256").update(body).digest("hex");
const EMPTY_SHA256 = sha256("");

const api = new URL("http://127.0.0.1:3000/models/fraud_detector/versions?limit=5");
const apiOptions: VerifyOptions = { service: "execute-api", region: "us-east-1", secretFor, now: at };

/** A request as the CLI signs it, as the gateway receives it: the signed headers plus what fetch adds. */
async function signedByClient(body: string, options: { secret?: string; signedAt?: Date } = {}): Promise<SignedRequest> {
  const sign = sigV4Signer({ region: "us-east-1", credentials: { ...suite, secretAccessKey: options.secret ?? suite.secretAccessKey } });
  const headers = await sign(
    { method: "POST", url: api, headers: { "content-type": "application/json", "idempotency-key": "k-1" }, body },
    options.signedAt ?? at,
  );
  return {
    method: "POST",
    url: api,
    headers: { ...headers, host: api.host, "user-agent": "node", "content-length": String(body.length) },
    payloadSha256: sha256(body),
  };
}

describe("verifySigV4 with the Authorization header (API Gateway's IAM authorization)", () => {
  it("accepts AWS's published get-vanilla signature", async () => {
    const request: SignedRequest = {
      method: "GET",
      url: new URL("https://example.amazonaws.com/"),
      headers: {
        host: "example.amazonaws.com",
        "x-amz-date": "20150830T123600Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
      },
      payloadSha256: EMPTY_SHA256,
    };

    expect(await verifySigV4(request, { ...apiOptions, service: "service" })).toEqual({ ok: true, accessKeyId: "AKIDEXAMPLE" });
  });

  it("accepts a request the client signed, whatever unsigned headers travel with it", async () => {
    expect(await verifySigV4(await signedByClient('{"source":"s3://b/k"}'), apiOptions)).toEqual({ ok: true, accessKeyId: "AKIDEXAMPLE" });
  });

  it("refuses a signature made with another secret", async () => {
    const verdict = await verifySigV4(await signedByClient("{}", { secret: "not-the-secret" }), apiOptions);

    expect(verdict).toMatchObject({
      ok: false,
      code: "SignatureDoesNotMatch",
      message: expect.stringMatching(/^The request signature we calculated does not match/),
    });
  });

  it("refuses a body altered after signing", async () => {
    const signed = await signedByClient('{"bump":"minor"}');

    const verdict = await verifySigV4({ ...signed, payloadSha256: sha256('{"bump":"major"}') }, apiOptions);

    expect(verdict).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  it("refuses a signed header changed or dropped on the way", async () => {
    const signed = await signedByClient("{}");
    const { "idempotency-key": _dropped, ...withoutKey } = signed.headers;

    expect(await verifySigV4({ ...signed, headers: { ...signed.headers, "idempotency-key": "k-2" } }, apiOptions)).toMatchObject({
      code: "SignatureDoesNotMatch",
    });
    expect(await verifySigV4({ ...signed, headers: withoutKey }, apiOptions)).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuses a signature more than 5 minutes old or ahead, with AWS's message, and accepts one within", async () => {
    const minutes = (n: number) => new Date(at.getTime() + n * 60_000);

    expect(await verifySigV4(await signedByClient("{}", { signedAt: minutes(-6) }), apiOptions)).toEqual({
      ok: false,
      code: "SignatureExpired",
      message: "Signature expired: 20150830T123000Z is now earlier than 20150830T123100Z (20150830T123600Z - 5 min.)",
    });
    expect(await verifySigV4(await signedByClient("{}", { signedAt: minutes(6) }), apiOptions)).toMatchObject({
      code: "SignatureNotYetCurrent",
    });
    expect(await verifySigV4(await signedByClient("{}", { signedAt: minutes(-4) }), apiOptions)).toMatchObject({ ok: true });
  });

  it("refuses an unknown access key, another region, and a request without a signature", async () => {
    const signed = await signedByClient("{}");

    expect(await verifySigV4(signed, { ...apiOptions, secretFor: () => undefined })).toEqual({
      ok: false,
      code: "InvalidClientTokenId",
      message: "The security token included in the request is invalid.",
    });
    expect(await verifySigV4(signed, { ...apiOptions, region: "eu-west-1" })).toMatchObject({ code: "InvalidCredentialScope" });
    expect(await verifySigV4({ ...signed, headers: { host: api.host } }, apiOptions)).toMatchObject({
      code: "MissingAuthenticationToken",
      message: "Forbidden",
    });
    expect(
      await verifySigV4(
        {
          ...signed,
          headers: {
            ...signed.headers,
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request",
          },
        },
        apiOptions,
      ),
    ).toMatchObject({
      code: "IncompleteSignature",
      message: "Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter.",
    });
  });
});

describe("verifySigV4 with a presigned URL (S3's query-string authentication)", () => {
  // Configured as the registry's own client (shared/s3-client.ts): presigned URLs carry no empty-body CRC32.
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:4569",
    forcePathStyle: true,
    credentials: suite,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const s3Options: VerifyOptions = { service: "s3", region: "us-east-1", secretFor, now: new Date(at.getTime() + 60_000) };

  /** The registry's own part URL, as the client sends it: the URL plus the headers it must carry. */
  async function partPut(): Promise<SignedRequest> {
    const bucket = new ArtifactBucket(s3, "model-registry-artifacts", { uploadUrlExpirySeconds: 900, clock: () => at });
    const part = await bucket.presignPart("artifacts/sha256/ab/abcdef", "upload-1", 3, sha256("part three"));
    const url = new URL(part.url);
    return { method: "PUT", url, headers: { ...part.headers, host: url.host, "content-length": "10" }, payloadSha256: "UNSIGNED-PAYLOAD" };
  }

  it("accepts the registry's presigned part PUT until it expires", async () => {
    const request = await partPut();

    expect(await verifySigV4(request, s3Options)).toEqual({ ok: true, accessKeyId: "AKIDEXAMPLE" });
    expect(await verifySigV4(request, { ...s3Options, now: new Date(at.getTime() + 901_000) })).toEqual({
      ok: false,
      code: "SignatureExpired",
      message: "Request has expired",
    });
  });

  it("refuses the URL for another part, or with another checksum header", async () => {
    const request = await partPut();
    const otherPart = new URL(request.url);
    otherPart.searchParams.set("partNumber", "4");

    expect(await verifySigV4({ ...request, url: otherPart }, s3Options)).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(
      await verifySigV4(
        { ...request, headers: { ...request.headers, "x-amz-checksum-sha256": Buffer.alloc(32).toString("base64") } },
        s3Options,
      ),
    ).toMatchObject({ code: "SignatureDoesNotMatch" });
  });
});
