import { benchContention } from "./contention";
import { withLocalRegistry } from "./local-registry";
await withLocalRegistry(async (registry) => {
  const c = await benchContention(registry);
  for (const [label, figs] of [
    ["gateway", c.gateway],
    ["perRequest", c.storePerRequest],
  ] as const)
    console.log(
      label,
      figs
        .map((f) => `${f.write} seq ${f.sequentialMs.toFixed(0)} conc ${f.concurrentMs.toFixed(0)} ratio ${f.ratio.toFixed(2)}`)
        .join(" | "),
    );
});
