/** `npx tsx bench/reads-only.ts`: the reads against a model's size of `npm run bench` on their own, against a fresh local registry. */
import { benchReadsBySize, printReadsBySize } from "./reads";
import { withLocalRegistry } from "./local-registry";

withLocalRegistry(async (registry) => printReadsBySize(await benchReadsBySize(registry))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
