import { readFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import * as z from "../../shared/zod";
import { ROLES, type Role, type RoleBinding } from "../../shared/domain/permissions";
import type { ActorResolution } from "./gateway";

/**
 * The local stand-in for IAM (README, Try it): a tokens file maps bearer tokens to principals and roles.
 * `{ "tokens": { "<token>": { "principal": "local:alice", "roles": ["reader", "publisher"] } } }`
 * The gateway turns `Authorization: Bearer <token>` into the verified caller, and each principal
 * is bound to exactly its roles; handlers see what they would see behind API Gateway.
 */

const tokensFileSchema = z.strictObject({
  tokens: z.record(
    z.string().check(z.minLength(1)),
    z.strictObject({
      principal: z.string().check(z.minLength(1), z.refine((principal) => !principal.includes("*"), "a principal may not contain '*' (role binding patterns treat it as a wildcard)")),
      roles: z.array(z.enum(ROLES)),
    }),
  ),
});

export interface Identity {
  readonly principal: string;
  readonly roles: readonly Role[];
}

export interface LocalTokens {
  readonly byToken: ReadonlyMap<string, Identity>;
}

export class TokensFileError extends Error {}

/** Reads and validates the tokens file; every problem is one line naming the file. */
export async function loadTokensFile(file: string): Promise<LocalTokens> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TokensFileError(`REGISTRY_TOKENS_FILE ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokensFileError(`REGISTRY_TOKENS_FILE ${file} is not JSON. Expected {"tokens": {"<token>": {"principal": "local:alice", "roles": ["reader"]}}}.`);
  }
  const parsed = tokensFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
    throw new TokensFileError(`REGISTRY_TOKENS_FILE ${file} is not valid: ${problems}.`);
  }
  const byToken = new Map(Object.entries(parsed.data.tokens));
  assertOneRoleSetPerPrincipal(file, byToken);
  return { byToken };
}

/** Roles belong to the principal, not the token: two tokens of one principal must agree on them. */
function assertOneRoleSetPerPrincipal(file: string, byToken: ReadonlyMap<string, Identity>): void {
  const seen = new Map<string, string>();
  for (const { principal, roles } of byToken.values()) {
    const set = [...roles].sort().join(",");
    if ((seen.get(principal) ?? set) !== set) {
      throw new TokensFileError(`REGISTRY_TOKENS_FILE ${file} gives principal ${principal} different roles under different tokens; give each of its tokens the same roles.`);
    }
    seen.set(principal, set);
  }
}

/** One binding per principal, matching that principal only, with exactly its roles. */
export function roleBindingsFor(tokens: LocalTokens): RoleBinding[] {
  const bindings = new Map<string, RoleBinding>();
  for (const { principal, roles } of tokens.byToken.values()) bindings.set(principal, { pattern: principal, roles: ROLES.filter((role) => roles.includes(role)) });
  return [...bindings.values()];
}

const WHAT_TO_SEND = "send the header 'Authorization: Bearer <token>' with a token from the tokens file this registry was started with (REGISTRY_TOKENS_FILE)";

/**
 * The gateway's `resolveActor`: the principal of the request's bearer token, or a 401 that says
 * what to send. It names no server path: the caller may not be the one who started the registry.
 */
export function bearerTokenResolver(tokens: LocalTokens): (headers: IncomingHttpHeaders) => ActorResolution {
  return (headers) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
    if (!token) return { refused: `This registry needs a bearer token: ${WHAT_TO_SEND}.` };
    const identity = tokens.byToken.get(token);
    if (!identity) return { refused: `The bearer token is not one this registry knows: ${WHAT_TO_SEND}.` };
    return { actor: identity.principal };
  };
}
