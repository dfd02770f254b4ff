import { timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/core/serde";
import { queryOf } from "../../client/auth";

/**
 * Checks an AWS Signature Version 4 as AWS does: parses what the request claims (access key,
 * scope, signed headers, instant), looks up the access key's secret, recomputes the signature
 * with AWS's own signer (@smithy/signature-v4) from the request as received, and compares.
 * Both forms: the Authorization header (API Gateway's IAM authorization) and the query string of
 * a presigned URL (S3). Refusals carry AWS's messages.
 *
 * Not done: SigV4a, chunked (streaming) payload signatures, a `Date` header in place of
 * `X-Amz-Date`, and any check of a session token against STS (it is only signed over).
 */

export interface SignedRequest {
  readonly method: string;
  /** As received: the path still percent-encoded, with its query string. */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** What the signature covers of the body: its hex SHA-256, or `UNSIGNED-PAYLOAD` where the service allows it (S3). */
  readonly payloadSha256: string;
}

export interface VerifyOptions {
  /** `execute-api`, `s3`: the scope a signature must name. */
  readonly service: string;
  readonly region: string;
  /** The secret of an access key; undefined for a key nobody issued. */
  readonly secretFor: (accessKeyId: string) => string | undefined | Promise<string | undefined>;
  readonly now?: Date;
}

export type SigV4FailureCode =
  | "MissingAuthenticationToken"
  | "IncompleteSignature"
  | "InvalidClientTokenId"
  | "InvalidCredentialScope"
  | "SignatureExpired"
  | "SignatureNotYetCurrent"
  | "SignatureDoesNotMatch";

export type SigV4Verdict =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly code: SigV4FailureCode; readonly message: string };

const ALGORITHM = "AWS4-HMAC-SHA256";
/** AWS accepts a header signature made up to 5 minutes before or after its own clock. */
const MAX_SKEW_MS = 5 * 60_000;
/** A presigned URL lives at most a week. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;
const CONTENT_SHA256 = "x-amz-content-sha256";

/** What a request claims about its signature, parsed from its Authorization header or its query string. */
interface Claim {
  readonly form: "header" | "query";
  readonly accessKeyId: string;
  readonly scope: { readonly date: string; readonly region: string; readonly service: string; readonly terminator: string };
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  /** Query form only. */
  readonly expiresSeconds?: number;
}

type Refusal = Extract<SigV4Verdict, { ok: false }>;

const refusal = (code: SigV4FailureCode, message: string): Refusal => ({ ok: false, code, message });

const MISMATCH = refusal(
  "SignatureDoesNotMatch",
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
);

/**
 * Verifies the request's SigV4 signature:
 * 1. parse the claim (header or query form); a request with neither is unauthenticated;
 * 2. check the instant (5 minutes either way; a presigned URL until it expires) and the scope;
 * 3. look up the secret (an unknown key is refused before any signing);
 * 4. recompute over the signed headers exactly, and compare in constant time.
 */
export async function verifySigV4(request: SignedRequest, options: VerifyOptions): Promise<SigV4Verdict> {
  const claim = parseClaim(request);
  if ("ok" in claim) return claim;
  const now = options.now ?? new Date();
  const problem = checkInstant(claim, now) ?? checkScope(claim, options);
  if (problem) return problem;
  const secretAccessKey = await options.secretFor(claim.accessKeyId);
  if (secretAccessKey === undefined) return refusal("InvalidClientTokenId", "The security token included in the request is invalid.");
  const expected = await recompute(request, claim, options, secretAccessKey);
  if (expected === undefined || !sameHex(expected, claim.signature)) return MISMATCH;
  return { ok: true, accessKeyId: claim.accessKeyId };
}

function parseClaim(request: SignedRequest): Claim | Refusal {
  const authorization = header(request.headers, "authorization");
  if (authorization !== undefined) return parseAuthorizationHeader(authorization, header(request.headers, "x-amz-date"));
  if (request.url.searchParams.has("X-Amz-Signature") || request.url.searchParams.has("X-Amz-Credential"))
    return parseQuery(request.url.searchParams);
  return refusal("MissingAuthenticationToken", "Forbidden");
}

function parseAuthorizationHeader(authorization: string, amzDate: string | undefined): Claim | Refusal {
  const [algorithm, ...rest] = authorization.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) return refusal("IncompleteSignature", `Authorization header requires the ${ALGORITHM} algorithm.`);
  const fields = new Map(
    rest
      .join(" ")
      .split(",")
      .map((field): [string, string] => {
        const [name = "", ...value] = field.trim().split("=");
        return [name, value.join("=")];
      }),
  );
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((name) => !fields.get(name));
  if (!amzDate) missing.push("X-Amz-Date");
  if (missing.length > 0)
    return refusal("IncompleteSignature", missing.map((name) => `Authorization header requires '${name}' parameter.`).join(" "));
  return claimFrom(
    "header",
    fields.get("Credential") as string,
    fields.get("SignedHeaders") as string,
    fields.get("Signature") as string,
    amzDate as string,
  );
}

function parseQuery(query: URLSearchParams): Claim | Refusal {
  const names = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"];
  const missing = names.filter((name) => !query.get(name));
  if (missing.length > 0)
    return refusal("IncompleteSignature", `Query-string authentication requires the ${missing.join(", ")} parameters.`);
  if (query.get("X-Amz-Algorithm") !== ALGORITHM) return refusal("IncompleteSignature", `X-Amz-Algorithm only supports "${ALGORITHM}".`);
  const expires = Number(query.get("X-Amz-Expires"));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS)
    return refusal("IncompleteSignature", `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_EXPIRES_SECONDS}.`);
  const claim = claimFrom(
    "query",
    query.get("X-Amz-Credential") as string,
    query.get("X-Amz-SignedHeaders") as string,
    query.get("X-Amz-Signature") as string,
    query.get("X-Amz-Date") as string,
  );
  return "ok" in claim ? claim : { ...claim, expiresSeconds: expires };
}

function claimFrom(form: Claim["form"], credential: string, signedHeaders: string, signature: string, amzDate: string): Claim | Refusal {
  const [accessKeyId, date, region, service, terminator, ...extra] = credential.split("/");
  if (!accessKeyId || !date || !region || !service || !terminator || extra.length > 0) {
    return refusal("IncompleteSignature", `Credential must be <access key>/<date>/<region>/<service>/aws4_request, not '${credential}'.`);
  }
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || Number.isNaN(parseAmzDate(amzDate).getTime())) {
    return refusal("IncompleteSignature", `X-Amz-Date must be in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z', not '${amzDate}'.`);
  }
  return {
    form,
    accessKeyId,
    scope: { date, region, service, terminator },
    signedHeaders: signedHeaders.toLowerCase().split(";"),
    signature,
    amzDate,
  };
}

const parseAmzDate = (amzDate: string): Date =>
  new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));

const amzDateOf = (date: Date): string =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

function checkInstant(claim: Claim, now: Date): Refusal | undefined {
  const signedAt = parseAmzDate(claim.amzDate).getTime();
  if (claim.form === "query") {
    return now.getTime() > signedAt + (claim.expiresSeconds as number) * 1000
      ? refusal("SignatureExpired", "Request has expired")
      : undefined;
  }
  if (signedAt < now.getTime() - MAX_SKEW_MS) {
    return refusal(
      "SignatureExpired",
      `Signature expired: ${claim.amzDate} is now earlier than ${amzDateOf(new Date(now.getTime() - MAX_SKEW_MS))} (${amzDateOf(now)} - 5 min.)`,
    );
  }
  if (signedAt > now.getTime() + MAX_SKEW_MS) {
    return refusal(
      "SignatureNotYetCurrent",
      `Signature not yet current: ${claim.amzDate} is still later than ${amzDateOf(new Date(now.getTime() + MAX_SKEW_MS))} (${amzDateOf(now)} + 5 min.)`,
    );
  }
  return undefined;
}

function checkScope(claim: Claim, options: VerifyOptions): Refusal | undefined {
  const { scope } = claim;
  if (scope.date !== claim.amzDate.slice(0, 8)) {
    return refusal(
      "InvalidCredentialScope",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`,
    );
  }
  if (scope.region !== options.region)
    return refusal(
      "InvalidCredentialScope",
      `Credential should be scoped to a valid region, not '${scope.region}'. This endpoint's region is '${options.region}'.`,
    );
  if (scope.service !== options.service)
    return refusal("InvalidCredentialScope", `Credential should be scoped to correct service: '${options.service}'.`);
  if (scope.terminator !== "aws4_request")
    return refusal("InvalidCredentialScope", "Credential should be scoped with a valid terminator: 'aws4_request'.");
  return undefined;
}

/**
 * The signature AWS would compute: the signer is given only the headers the claim names as signed
 * (with the values received) and the payload hash, at the claimed instant. Undefined when a signed
 * header is absent from the request.
 */
async function recompute(
  request: SignedRequest,
  claim: Claim,
  options: VerifyOptions,
  secretAccessKey: string,
): Promise<string | undefined> {
  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const value = name === "host" ? (header(request.headers, "host") ?? request.url.host) : header(request.headers, name);
    if (value === undefined) return undefined;
    headers[name] = value;
  }
  // The signer reads the payload hash from this header; it is signed over only where the client signed it.
  headers[CONTENT_SHA256] = request.payloadSha256;
  const signedNames = new Set(claim.signedHeaders);
  const unsigned = signedNames.has(CONTENT_SHA256) ? undefined : new Set([CONTENT_SHA256]);
  const signer = new SignatureV4({
    region: options.region,
    service: options.service,
    credentials: { accessKeyId: claim.accessKeyId, secretAccessKey },
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: false,
    // S3 signs the path as sent; every other service normalises and encodes it again.
    uriEscapePath: options.service !== "s3",
  });
  const query = queryOf(request.url);
  delete query["X-Amz-Signature"];
  const toSign = {
    method: request.method.toUpperCase(),
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    path: request.url.pathname,
    query,
    headers,
  };
  const signingDate = parseAmzDate(claim.amzDate);
  if (claim.form === "query") {
    const presigned = await signer.presign(toSign, {
      signingDate,
      expiresIn: claim.expiresSeconds,
      signableHeaders: signedNames,
      unsignableHeaders: unsigned,
      unhoistableHeaders: new Set([...signedNames, CONTENT_SHA256]),
    });
    return String(presigned.query?.["X-Amz-Signature"]);
  }
  const signed = await signer.sign(toSign, { signingDate, signableHeaders: signedNames, unsignableHeaders: unsigned });
  return /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
}

function header(headers: SignedRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : (value as string | undefined);
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
