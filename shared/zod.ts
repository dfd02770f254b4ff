/**
 * The zod every runtime schema is built with: `zod/mini`, whose schemas are plain data with a few
 * prototype methods (checks go through `.check(…)`, wrappers are functions such as `z.optional`).
 * Building classic zod schemas cost each Lambda 10–25 ms of cold start (measured), because every
 * function loads its routes' schemas and all they compose.
 *
 * Unlike classic zod, mini does not load a locale by itself: without English, built-in issues
 * ("Invalid input: expected string, received number") would say only "Invalid input".
 */
import { config, lazy, type core, type ZodMiniLazy } from "zod/mini";
import { en } from "zod/locales";

// Like classic zod: English unless a locale was configured already.
if (!config().localeError) config(en());

export * from "zod/mini";

/**
 * A module-level schema, built when it is first used (a parse, the OpenAPI document) rather than
 * when its module loads: a function loads its routes' schemas and every schema they compose, and a
 * cold start answers with few of them. It is zod/mini's `lazy`, which builds once and keeps the
 * schema it built; it parses, fails and documents exactly as that schema does.
 *
 * Mark each call pure with a `@__PURE__` comment before it, as the schema modules do: esbuild keeps a
 * call it cannot tell is free of side effects, and so would bundle every schema of every module a
 * function imports, used or not (it does not carry `@__NO_SIDE_EFFECTS__` across modules: evanw/esbuild#4369).
 */
export const onFirstUse: <T extends core.SomeType>(build: () => T) => ZodMiniLazy<T> = lazy;

/** The schema an `onFirstUse` builds, to extend it or read its `.shape`: only inside another builder, or it is built at load. */
export const built = <T extends core.SomeType>(schema: ZodMiniLazy<T>): T => schema._zod.innerType;
