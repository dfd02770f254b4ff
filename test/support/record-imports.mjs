// Loaded with `node --import`: appends the URL of every module the process imports, one a line,
// to the file RECORD_IMPORTS names, so a test can tell what a command loaded.
import { register } from "node:module";

const hooks = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(process.env.RECORD_IMPORTS, resolved.url + "\\n");
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
