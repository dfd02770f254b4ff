import type { Actor } from "./actor";
import { ForbiddenError } from "./errors";

export const ROLES = ["reader", "publisher", "promoter", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** A caller whose verified principal matches `pattern` (glob: `*` is any run of characters) holds `roles`. */
export interface RoleBinding {
  readonly pattern: string;
  readonly roles: readonly Role[];
}

/** The verified caller of a request: the actor, with the roles its principal is bound to. */
export interface Caller extends Actor {
  readonly roles: readonly Role[];
}

/** Compiled once per pattern: the bindings are the process's config, and every request checks them. */
const compiledPatterns = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
    compiled = new RegExp(`^${escaped.join(".*")}$`);
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

/** Every role of every binding whose pattern matches the principal. */
export function rolesOf(principal: string, bindings: readonly RoleBinding[]): Role[] {
  const roles = new Set<Role>();
  for (const binding of bindings) {
    if (!globToRegExp(binding.pattern).test(principal)) continue;
    for (const role of binding.roles) roles.add(role);
  }
  return ROLES.filter((role) => roles.has(role));
}

export function requireRole(caller: Caller, role: Role, action: string): void {
  if (caller.roles.includes(role)) return;
  const held = caller.roles.length > 0 ? caller.roles.join(", ") : "no role";
  throw new ForbiddenError(
    `${action} needs the '${role}' role; ${caller.actor} has ${held}. Ask an admin to bind this principal to '${role}'.`,
    {
      missingRole: role,
      roles: caller.roles,
    },
  );
}
