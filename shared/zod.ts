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
 */
export const onFirstUse: <T extends core.SomeType>(build: () => T) => ZodMiniLazy<T> = lazy;

/** The schema an `onFirstUse` builds, to extend it or read its `.shape`: only inside another builder, or it is built at load. */
export const built = <T extends core.SomeType>(schema: ZodMiniLazy<T>): T => schema._zod.innerType;
