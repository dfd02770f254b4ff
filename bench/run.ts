/**
 * `npm run bench`: the SPEC §9 targets, each measured in this one run on this machine.
 * Run it on a quiet machine; every ratio compares two things measured side by side.
 */
import { benchBundles } from "./bundles";
import { benchResolve } from "./resolve";

const KiB = 1024;

function verdict(ok: boolean): string {
  return ok ? "ok" : "MISSED";
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

  console.log("Bundles (esbuild, minified, AWS SDK from the runtime) and cold start (module load + first invoke, fresh Node process, median of 3):");
  for (const figure of await benchBundles()) {
    const size = figure.bytes / KiB;
    console.log(
      `  ${figure.fn.padEnd(10)} ${size.toFixed(1).padStart(7)} KiB (≤ 300: ${verdict(size <= 300)})   ${figure.coldStartMs.toFixed(0).padStart(4)} ms (≤ 150: ${verdict(figure.coldStartMs <= 150)})`,
    );
  }

  const resolve = await benchResolve();
  console.log(`Resolve Production through the local gateway vs a raw GetItem on the same DynamoDB Local (${resolve.samples} samples each, interleaved):`);
  console.log(`  gateway median ${resolve.gatewayMedianMs.toFixed(2)} ms, GetItem median ${resolve.getItemMedianMs.toFixed(2)} ms, ratio ${resolve.ratio.toFixed(2)} (≤ 1.3: ${verdict(resolve.ratio <= 1.3)})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
