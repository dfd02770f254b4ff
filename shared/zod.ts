/**
 * The zod every runtime schema is built with: `zod/mini`, whose schemas are plain data with a few
 * prototype methods (checks go through `.check(…)`, wrappers are functions such as `z.optional`).
 * Building classic zod schemas cost each Lambda 10–25 ms of cold start (measured), because every
 * function loads the whole route table.
 *
 * Unlike classic zod, mini does not load a locale by itself: without English, built-in issues
 * ("Invalid input: expected string, received number") would say only "Invalid input".
 */
import { config } from "zod/mini";
import { en } from "zod/locales";

// Like classic zod: English unless a locale was configured already.
if (!config().localeError) config(en());

export * from "zod/mini";
