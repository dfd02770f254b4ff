import { readFile } from "node:fs/promises";
import * as z from "../../shared/zod";
import { ROLES, type Role, type RoleBinding } from "../../shared/domain/permissions";
import { REGION, type ActorResolution, type CallerRequest } from "./gateway";
import { verifySigV4, type SigV4FailureCode } from "./sigv4-verifier";

/**
 * The local stand-in for IAM (docs/local.md, Callers): who may call, and as whom.
 * - a tokens file maps bearer tokens to principals and roles:
 *   `{ "tokens": { "<token>": { "principal": "local:alice", "roles": ["reader", "publisher"] } } }`
 * - a credentials file maps access keys to their secret, principal ARN and roles, and requests
 *   signed with SigV4 are verified as API Gateway's IAM authorization verifies them:
 *   `{ "credentials": { "<access key id>": { "secretAccessKey": "…", "principal": "arn:aws:sts::…", "roles": ["publisher"] } } }`
 * The gateway turns the request into the verified caller, and each principal is bound to exactly
 * its roles; handlers see what they would see behind API Gateway.
 */

const principal = z.string().check(
  z.minLength(1),
  z.refine((p) => !p.includes("*"), "a principal may not contain '*' (role binding patterns treat it as a wildcard)"),
);
const roles = z.array(z.enum(ROLES));

const tokensFileSchema = z.strictObject({
  tokens: z.record(z.string().check(z.minLength(1)), z.strictObject({ principal, roles })),
});

const credentialsFileSchema = z.strictObject({
  credentials: z.record(
    // A SigV4 credential scope is slash-separated: the key id is one word.
    z.string().check(z.regex(/^\w{1,128}$/)),
    z.strictObject({ secretAccessKey: z.string().check(z.minLength(1)), principal, roles }),
  ),
});

export interface Identity {
  readonly principal: string;
  readonly roles: readonly Role[];
}

export interface AccessKey extends Identity {
  readonly secretAccessKey: string;
}

export interface LocalTokens {
  readonly byToken: ReadonlyMap<string, Identity>;
}

export interface LocalCredentials {
  readonly byAccessKey: ReadonlyMap<string, AccessKey>;
}

/** Whoever a tokens file, a credentials file, or both, let call. */
export type LocalCallers = Partial<LocalTokens & LocalCredentials>;

/** A tokens or credentials file that cannot be used. */
export class TokensFileError extends Error {}

/** Reads and validates the tokens file; every problem is one line naming the file. */
export async function loadTokensFile(file: string): Promise<LocalTokens> {
  const { tokens } = await readCallersFile(
    file,
    "REGISTRY_TOKENS_FILE",
    tokensFileSchema,
    '{"tokens": {"<token>": {"principal": "local:alice", "roles": ["reader"]}}}',
  );
  const byToken = new Map(Object.entries(tokens));
  assertOneRoleSetPerPrincipal(`REGISTRY_TOKENS_FILE ${file}`, byToken.values());
  return { byToken };
}

/** Reads and validates the credentials file; every problem is one line naming the file. */
export async function loadCredentialsFile(file: string): Promise<LocalCredentials> {
  const example =
    '{"credentials": {"<access key id>": {"secretAccessKey": "<secret>", "principal": "arn:aws:iam::000000000000:user/alice", "roles": ["reader"]}}}';
  const { credentials } = await readCallersFile(file, "REGISTRY_CREDENTIALS_FILE", credentialsFileSchema, example);
  const byAccessKey = new Map(Object.entries(credentials));
  assertOneRoleSetPerPrincipal(`REGISTRY_CREDENTIALS_FILE ${file}`, byAccessKey.values());
  return { byAccessKey };
}

/** The callers of whichever files are given; undefined with neither (every request then acts as the local user). */
export async function loadCallers(files: {
  readonly tokensFile?: string;
  readonly credentialsFile?: string;
}): Promise<LocalCallers | undefined> {
  if (!files.tokensFile && !files.credentialsFile) return undefined;
  const callers: LocalCallers = {
    ...(files.tokensFile ? await loadTokensFile(files.tokensFile) : {}),
    ...(files.credentialsFile ? await loadCredentialsFile(files.credentialsFile) : {}),
  };
  assertOneRoleSetPerPrincipal(
    `REGISTRY_TOKENS_FILE ${files.tokensFile} and REGISTRY_CREDENTIALS_FILE ${files.credentialsFile}`,
    identities(callers),
  );
  return callers;
}

async function readCallersFile<S extends z.ZodMiniType>(file: string, setting: string, schema: S, example: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TokensFileError(
      `${setting} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): check the path ` +
        `(a relative one starts from ${process.cwd()}), or leave ${setting} out ` +
        "(docs/local.md, Callers and SigV4, has the file's format).",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokensFileError(`${setting} ${file} is not JSON. Expected ${example}.`);
  }
  const parsed = z.safeParse(schema, json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
    throw new TokensFileError(`${setting} ${file} is not valid: ${problems}.`);
  }
  return parsed.data;
}

const identities = (callers: LocalCallers): Identity[] => [...(callers.byToken?.values() ?? []), ...(callers.byAccessKey?.values() ?? [])];

/** Roles belong to the principal, not the token or key: all of one principal's must agree on them. */
function assertOneRoleSetPerPrincipal(where: string, all: Iterable<Identity>): void {
  const seen = new Map<string, string>();
  for (const { principal, roles } of all) {
    const set = [...roles].sort().join(",");
    if ((seen.get(principal) ?? set) !== set) {
      throw new TokensFileError(
        `${where} gives principal ${principal} different roles under different tokens or keys; give each the same roles.`,
      );
    }
    seen.set(principal, set);
  }
}

/** One binding per principal, matching that principal only, with exactly its roles. */
export function roleBindingsFor(callers: LocalCallers): RoleBinding[] {
  const bindings = new Map<string, RoleBinding>();
  for (const { principal, roles } of identities(callers))
    bindings.set(principal, { pattern: principal, roles: ROLES.filter((role) => roles.includes(role)) });
  return [...bindings.values()];
}

const WHAT_TO_SEND =
  "send the header 'Authorization: Bearer <token>' with a token from the tokens file this registry was started with (REGISTRY_TOKENS_FILE)";

/**
 * The gateway's `resolveActor` for a tokens file: the principal of the request's bearer token, or
 * a 401 that says what to send. It names no server path: the caller may not be the one who started the registry.
 */
export function bearerTokenResolver(tokens: LocalTokens): (request: Pick<CallerRequest, "headers">) => ActorResolution {
  return ({ headers }) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
    if (!token) return { refused: `This registry needs a bearer token: ${WHAT_TO_SEND}.` };
    const identity = tokens.byToken.get(token);
    if (!identity) return { refused: `The bearer token is not one this registry knows: ${WHAT_TO_SEND}.` };
    return { actor: identity.principal };
  };
}

/** What to do about each refusal, after AWS's own message. */
const SIGV4_ADVICE: Record<SigV4FailureCode, string> = {
  MissingAuthenticationToken:
    "This registry needs requests signed with SigV4 (service execute-api) by a key of its credentials file (REGISTRY_CREDENTIALS_FILE).",
  IncompleteSignature: "The Authorization header is not a complete AWS4-HMAC-SHA256 signature.",
  InvalidClientTokenId: "The access key is not one of this registry's credentials file (REGISTRY_CREDENTIALS_FILE).",
  InvalidCredentialScope: `Sign for region ${REGION} (AWS_REGION=${REGION}) and service execute-api.`,
  SignatureExpired: "Sign each request as it is sent, and check this machine's clock.",
  SignatureNotYetCurrent: "Check this machine's clock.",
  SignatureDoesNotMatch: "Check AWS_SECRET_ACCESS_KEY, and that nothing changed the request after it was signed.",
};

/**
 * The gateway's `resolveActor` for a credentials file: the principal of the access key whose
 * SigV4 signature verifies over the request as received, its body included; else 403 with IAM
 * authorization's message.
 */
export function sigV4Resolver(credentials: LocalCredentials): (request: CallerRequest) => Promise<ActorResolution> {
  return async ({ method, target, headers, bodySha256 }) => {
    const verdict = await verifySigV4(
      { method, url: new URL(target, `http://${headers.host ?? "localhost"}`), headers, payloadSha256: await bodySha256() },
      { service: "execute-api", region: REGION, secretFor: (key) => credentials.byAccessKey.get(key)?.secretAccessKey },
    );
    if (!verdict.ok)
      return {
        forbidden: { gatewayMessage: verdict.message, code: verdict.code, message: `${verdict.message} ${SIGV4_ADVICE[verdict.code]}` },
      };
    return { actor: (credentials.byAccessKey.get(verdict.accessKeyId) as AccessKey).principal };
  };
}

/** With both files, a signed request is checked as SigV4 and any other by its bearer token. */
export function callerResolver(callers: LocalCallers): (request: CallerRequest) => ActorResolution | Promise<ActorResolution> {
  const bearer = callers.byToken && bearerTokenResolver({ byToken: callers.byToken });
  const sigV4 = callers.byAccessKey && sigV4Resolver({ byAccessKey: callers.byAccessKey });
  return (request) => {
    const signed = /^AWS4-HMAC-SHA256\s/.test(request.headers.authorization ?? "");
    return sigV4 && (signed || !bearer) ? sigV4(request) : (bearer as NonNullable<typeof bearer>)(request);
  };
}

/** `npm start`'s banner line on how requests authenticate. */
export function callersLine(files: { readonly tokensFile?: string; readonly credentialsFile?: string }): string {
  const ways = [
    ...(files.tokensFile ? [`'Authorization: Bearer <token>' with a token of ${files.tokensFile}`] : []),
    ...(files.credentialsFile
      ? [`a SigV4 signature (region ${REGION}, service execute-api) by an access key of ${files.credentialsFile}`]
      : []),
  ];
  return `Requests authenticate with ${ways.join(", or ")}.`;
}

/** The curl arguments the banner's examples authenticate with: a bearer token when there is a tokens file, else a SigV4 signature when there is a credentials file. */
export function curlAuthArguments(files: { readonly tokensFile?: string; readonly credentialsFile?: string }): string {
  if (files.tokensFile) return " -H 'Authorization: Bearer <token>'";
  if (files.credentialsFile) return ` --aws-sigv4 'aws:amz:${REGION}:execute-api' --user '<access key id>:<secret access key>'`;
  return "";
}
