import type * as z from "../zod";
import type { Role } from "../domain/permissions";
import type { FunctionName } from "../functions";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One route of the table: its function, the role a caller needs, its schemas. */
export interface RouteDefinition<F extends FunctionName = FunctionName> {
  readonly method: HttpMethod;
  readonly path: string;
  readonly function: F;
  readonly role: Role;
  readonly operationId: string;
  readonly summary: string;
  readonly request?: { readonly path?: z.core.$ZodType; readonly query?: z.core.$ZodType; readonly body?: z.core.$ZodType };
  readonly response: { readonly status: number; readonly schema: z.core.$ZodType };
}

export const routeKey = (route: Pick<RouteDefinition, "method" | "path">): string => `${route.method} ${route.path}`;

/** Every method but GET changes something: those routes take an Idempotency-Key. */
export const isWriteRoute = (route: Pick<RouteDefinition, "method">): boolean => route.method !== "GET";
