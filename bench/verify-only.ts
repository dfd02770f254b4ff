/**
 * `npx tsx bench/verify-only.ts [GiB]`: the verification figures of `npm run bench` on their own (one
 * file of that many GiB, then 8 files × 256 MiB side by side and one after another), against a fresh local registry.
 */
import { withLocalRegistry } from "./local-registry";
import { benchParallelFiles, benchVerify, printParallelFiles, printVerify } from "./verify";

const gib = Number(process.argv[2] ?? 2);
withLocalRegistry(async (registry) => {
  printVerify(await benchVerify(registry, { gib }));
  printParallelFiles(await benchParallelFiles(registry));
}).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
