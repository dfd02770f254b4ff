/** `npx tsx bench/contention-only.ts`: the contention figures of `npm run bench` on their own, against a fresh local registry. */
import { benchContention, printContention } from "./contention";
import { withLocalRegistry } from "./local-registry";

withLocalRegistry(async (registry) => printContention(await benchContention(registry))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
