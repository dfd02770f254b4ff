/** `npx tsx bench/verify-only.ts [GiB]`: the verify figure of `npm run bench` on its own, against a fresh local registry. */
import { withLocalRegistry } from "./local-registry";
import { benchVerify, printVerify } from "./verify";

const gib = Number(process.argv[2] ?? 2);
withLocalRegistry(async (registry) => printVerify(await benchVerify(registry, { gib }))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
