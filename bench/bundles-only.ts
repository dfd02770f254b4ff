/** `npx tsx bench/bundles-only.ts`: the bundle sizes and cold starts of `npm run bench` on their own; no local registry needed. */
import { benchBundles, printBundles } from "./bundles";

benchBundles()
  .then(printBundles)
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
