/** `npx tsx bench/resolve-only.ts`: the resolve figure of `npm run bench` on its own, against a fresh local registry. */
import { withLocalRegistry } from "./local-registry";
import { benchResolve, printResolve } from "./resolve";

withLocalRegistry(async (registry) => printResolve(await benchResolve(registry))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
