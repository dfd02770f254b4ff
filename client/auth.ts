import type { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { UsageError } from "./errors";

/**
 * How a request proves who sends it (docs/operations.md, Who may call): SigV4 for API Gateway's IAM
 * authorization, a bearer token of the local tokens file, or nothing for a plain local registry.
 */
export type AuthOption =
  | { readonly type: "none" }
  | { readonly type: "token"; readonly token: string }
  | {
      readonly type: "sigv4";
      /** Default: the region in an execute-api host name, else AWS_REGION / AWS_DEFAULT_REGION. */
      readonly region?: string;
      /** Default: the standard chain (env, profile, SSO, web identity, container and instance roles). */
      readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
      readonly service?: string;
      readonly now?: () => Date;
    };

export const AUTH_TYPES = ["sigv4", "token", "none"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Returns the headers to send: the request's own plus whatever proves the caller. */
export type Authenticator = (request: OutgoingRequest) => Promise<Record<string, string>>;

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
export const executeApiRegion = (url: URL): string | undefined => EXECUTE_API_HOST.exec(url.hostname)?.[1];

/**
 * The auth a caller gets without choosing: SigV4 for an execute-api host, a bearer token when one
 * is given (flag or REGISTRY_TOKEN), else none (a local registry without a tokens file).
 */
export function defaultAuth(url: URL, options: { type?: AuthType; token?: string } = {}, env: NodeJS.ProcessEnv = process.env): AuthOption {
  const token = options.token ?? env.REGISTRY_TOKEN;
  const type = options.type ?? (executeApiRegion(url) ? "sigv4" : token ? "token" : "none");
  if (type === "token") {
    if (!token) throw new UsageError("Token auth needs a token: --token <token> or REGISTRY_TOKEN.");
    return { type, token };
  }
  return { type };
}

export function authenticator(auth: AuthOption, url: URL, env: NodeJS.ProcessEnv = process.env): Authenticator {
  switch (auth.type) {
    case "none":
      return async (request) => request.headers;
    case "token":
      return async (request) => ({ ...request.headers, authorization: `Bearer ${auth.token}` });
    case "sigv4": {
      const region = auth.region ?? executeApiRegion(url) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      if (!region) throw new UsageError(`SigV4 needs a region: ${url.host} does not name one; set AWS_REGION.`);
      const signer = sigV4Signer({ region, service: auth.service, credentials: auth.credentials ?? standardCredentialChain() });
      return (request) => signer(request, auth.now?.() ?? new Date());
    }
  }
}

/**
 * The standard AWS credential chain, loaded on the first signature: the providers weigh more than
 * the rest of the CLI, and most commands (`--version`, `--help`, a local registry) never sign.
 * Built once: the chain caches and refreshes temporary credentials itself.
 */
function standardCredentialChain(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (options) => {
    chain ??= import("@aws-sdk/credential-providers").then(({ fromNodeProviderChain }) => fromNodeProviderChain());
    try {
      return await (await chain)(options);
    } catch (error) {
      if ((error as Error).name === "CredentialsProviderError") throw new UsageError(noCredentials(error as Error), { cause: error });
      throw error;
    }
  };
}

const noCredentials = (error: Error) =>
  `SigV4 found no AWS credentials (${error.message}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for npm start, ` +
  "a key of its REGISTRY_CREDENTIALS_FILE) or AWS_PROFILE; with a tokens file, use --token instead of --auth sigv4.";

/**
 * A SigV4 signer (AWS's own implementation) for one region and service; `execute-api` unless told.
 * The implementation loads on the first signature, as the credential chain does.
 */
export function sigV4Signer(options: {
  region: string;
  service?: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}) {
  let loaded: Promise<SignatureV4> | undefined;
  const signerOf = async () => {
    const [{ SignatureV4 }, { Hash }] = await Promise.all([import("@smithy/signature-v4"), import("@smithy/core/serde")]);
    return new SignatureV4({
      region: options.region,
      service: options.service ?? "execute-api",
      credentials: options.credentials,
      sha256: Hash.bind(null, "sha256"),
      // x-amz-content-sha256 is S3's header; execute-api hashes the payload into the signature without it.
      applyChecksum: false,
    });
  };
  return async (request: OutgoingRequest, signingDate: Date): Promise<Record<string, string>> => {
    const { url } = request;
    loaded ??= signerOf();
    const signed = await (await loaded).sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: queryOf(url),
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      { signingDate },
    );
    // fetch sets Host itself (and refuses to be told).
    const { host: _host, ...headers } = signed.headers;
    return headers;
  };
}

/** A URL's query as SigV4 signers take it: each name once, repeated values as an array. */
export function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}
