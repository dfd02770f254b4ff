/**
 * `npm run bench`: the targets of docs/operations.md (Benchmark), each measured in this one run on this machine.
 * Run it on a quiet machine; every ratio compares two things measured side by side.
 */
import type { LocalRegistry } from "../infra/local/start";
import { benchBundles, printBundles } from "./bundles";
import { benchClient } from "./client";
import { benchCompleteManyFiles } from "./complete";
import { benchContention, printContention } from "./contention";
import { benchMetricFilter } from "./metric-filter";
import { benchRegisterManyFiles } from "./register";
import { withLocalRegistry } from "./local-registry";
import { benchReadsBySize, printReadsBySize } from "./reads";
import { benchResolve, printResolve } from "./resolve";
import { benchStart, type StartFigure } from "./start";
import { median } from "./stats";
import { benchUpload } from "./upload";
import { scriptOptions } from "../client/script-args";
import { benchParallelFiles, benchVerify, printParallelFiles, printVerify } from "./verify";

function verdict(ok: boolean): string {
  return ok ? "ok" : "MISSED";
}

const BENCH_USAGE = `usage: npm run bench

Measures the targets of docs/operations.md (Benchmark) in one run of several minutes: bundle sizes, cold
starts, npm start, a Production lookup, reads on a large model against a small one, contended writes,
uploads, verification, the client. It takes no options; run it on a quiet machine.`;

async function main(): Promise<void> {
  scriptOptions(BENCH_USAGE, {});
  const start = await benchStart();
  console.log(`npm start, from spawn to its first answered request, median of ${start.rounds} fresh starts each, interleaved:`);
  console.log(
    `  launcher (cached bundle) ${start.launcher.readyMs.toFixed(0)} ms (≤ 3000: ${verdict(start.launcher.readyMs <= 3000)}); start.ts through tsx ${start.tsx.readyMs.toFixed(0)} ms; a bare Node process answering one request ${start.bareNodeMs.toFixed(0)} ms`,
  );
  console.log(
    `  first request of each of the ${start.launcher.firstRequestMs.size} routes after the start: ${firstRequests(start.launcher)} (launcher), ${firstRequests(start.tsx)} (tsx)`,
  );

  printBundles(await benchBundles());

  await withLocalRegistry(benchAgainst);
}

/** The slowest route's first request (target ≤ 200 ms) and the median over routes. */
function firstRequests(figure: StartFigure): string {
  const [slowest, ms] = [...figure.firstRequestMs].reduce((a, b) => (b[1] > a[1] ? b : a));
  const middle = median([...figure.firstRequestMs.values()]);
  return `slowest ${ms.toFixed(0)} ms, ${slowest} (≤ 200: ${verdict(ms <= 200)}), median ${middle.toFixed(0)} ms`;
}

/** Handlers read their config once per process, so these benchmarks share one local registry. */
async function benchAgainst(registry: LocalRegistry): Promise<void> {
  printResolve(await benchResolve(registry));

  const filter = await benchMetricFilter(registry);
  console.log(
    `Versions by a metric filter, first page of minMetric.auc=0.99&limit=10, ${filter.largeVersions} vs ${filter.smallVersions} versions, ${filter.matches} matching in each (${filter.samples} samples each, interleaved):`,
  );
  for (const [label, comparison] of [
    ["auc an ordinary metric", filter.undeclared],
    ["auc a key metric", filter.keyMetric],
  ] as const)
    console.log(
      `  ${label}: large median ${comparison.largeMedianMs.toFixed(1)} ms, small median ${comparison.smallMedianMs.toFixed(1)} ms, ratio ${comparison.ratio.toFixed(2)} (≤ 1.5: ${verdict(comparison.ratio <= 1.5)})`,
    );

  printReadsBySize(await benchReadsBySize(registry));

  printContention(await benchContention(registry));

  const upload = await benchUpload(registry);
  const mib = (upload.bytes / 1024 / 1024).toFixed(0);
  console.log(
    `Artifact upload, ${mib} MiB in ${upload.parts} parts, ${upload.concurrency} in parallel, median of ${upload.rounds} (s3rver):`,
  );
  console.log(
    `  presigned multipart ${upload.multipartMiBps.toFixed(0)} MiB/s vs raw parallel PUT ${upload.rawMiBps.toFixed(0)} MiB/s, ratio ${upload.ratio.toFixed(2)} (≥ 0.8: ${verdict(upload.ratio >= 0.8)})`,
  );
  console.log(
    `  with completion and the registry's own SHA-256 verification: ${upload.verifiedMiBps.toFixed(0)} MiB/s, ratio ${upload.verifiedRatio.toFixed(2)}`,
  );

  printVerify(await benchVerify(registry));
  printParallelFiles(await benchParallelFiles(registry));

  const registered = await benchRegisterManyFiles(registry);
  const registerS = registered.registerMs / 1000;
  console.log(`Registering a version of ${registered.files.toLocaleString("en")} small files, none held yet, through the local API:`);
  console.log(
    `  answered ${registered.status} in ${registerS.toFixed(1)} s (201 within 30 s, API Gateway's limit: ${verdict(registered.status === 201 && registerS <= 30)})`,
  );

  const many = await benchCompleteManyFiles(registry);
  console.log(`Completing a version of ${many.files.toLocaleString("en")} small files, every one uploaded (the local engines):`);
  console.log(
    `  complete answered 202 in ${many.completeAnswerMs.toFixed(0)} ms (≤ 1000 for any size: ${verdict(many.completeAnswerMs <= 1000)})`,
  );

  const client = await benchClient(registry);
  const size = (client.bytes / 1024 / 1024).toFixed(0);
  console.log(`The registry CLI, ${size} MiB, ${client.concurrency} in parallel, median of ${client.rounds} (s3rver):`);
  console.log(
    `  push end to end (hash, upload, complete, READY) ${client.push.clientMiBps.toFixed(0)} MiB/s vs raw parallel PUT ${client.push.rawMiBps.toFixed(0)} MiB/s, ratio ${client.push.ratio.toFixed(2)} (≥ 0.7: ${verdict(client.push.ratio >= 0.7)})`,
  );
  console.log(
    `    steps (medians): hash and register ${client.push.steps.prepareS.toFixed(1)} s, upload ${client.push.steps.uploadS.toFixed(1)} s, complete (the registry assembles and hashes) ${client.push.steps.completeS.toFixed(1)} s`,
  );
  console.log(
    `  pull (ranged GETs, SHA-256 verified) ${client.pull.clientMiBps.toFixed(0)} MiB/s vs raw parallel ranged GET ${client.pull.rawMiBps.toFixed(0)} MiB/s, ratio ${client.pull.ratio.toFixed(2)} (≥ 0.8: ${verdict(client.pull.ratio >= 0.8)})`,
  );
  console.log(
    `  start-up, registry --version (bundle), median of ${client.startup.runs}: ${client.startup.medianMs.toFixed(0)} ms (≤ 150: ${verdict(client.startup.medianMs <= 150)}); node -e "" alone: ${client.startup.nodeMedianMs.toFixed(0)} ms`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
