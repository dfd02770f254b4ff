import { build } from "esbuild";
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ENVIRONMENT_VARIABLES } from "../shared/config";
import { FUNCTIONS, type FunctionName, type Grant } from "../shared/functions";
import { functionBuildOptions } from "../infra/bundling";
import { median } from "./stats";

/** Fresh processes per function: a median of several, since one start on a shared machine varies by tens of ms. */
const COLD_STARTS = 15;

export interface BundleFigure {
  readonly fn: string;
  readonly bytes: number;
  readonly coldStartMs: number;
  /**
   * The same with the settings the stacks give: tracing on and a metrics namespace set, so the
   * Tracer and the X-Ray SDK load from Powertools' layer (shared/powertools-layer.ts), and Metrics
   * would on the first metric recorded (the publisher records one on every batch).
   */
  readonly deployedColdStartMs: number;
  /** The same for a minimal handler that builds the function's SDK clients and answers the same first event (./minimal/). */
  readonly minimalColdStartMs: number;
  /** The median of each run's cold start over the minimal handler's started beside it: a slow moment of the machine falls on both. */
  readonly ratio: number;
  /**
   * The same ratio for the minimal handler plus compiling the function's bundle without running it
   * (what Node's `require` spends on it before its first line runs): what a bundle of this size cannot go below.
   */
  readonly floor: number;
}

/**
 * The SDK clients each function's composition root builds in the bench's environment: query and
 * lifecycle shared/composition.ts; catalog, artifacts and downloads shared/artifacts-composition.ts,
 * with SQS where the function sends verification tasks; the publisher shared/events/composition.ts.
 */
const SDK_CLIENTS: Record<string, readonly string[]> = {
  query: ["dynamodb"],
  lifecycle: ["dynamodb"],
  catalog: ["dynamodb", "s3"],
  artifacts: ["dynamodb", "s3", "sqs"],
  downloads: ["dynamodb", "s3"],
  publisher: ["eventbridge", "sqs"],
};

/** What Lambda's environment tells a function with active tracing, and the settings the CDK stacks add (infra/registry-function.ts). */
const DEPLOYED = {
  POWERTOOLS_TRACE_ENABLED: "true",
  POWERTOOLS_METRICS_NAMESPACE: "ModelRegistry",
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
  _X_AMZN_TRACE_ID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
};

/** The deployed bundle: the CDK function construct's esbuild settings (infra/bundling.ts). */
async function bundle(fn: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${fn}.cjs`);
  await build({ ...functionBuildOptions, entryPoints: [`functions/${fn}/handler.ts`], outfile, logLevel: "silent" });
  return outfile;
}

/** The function's minimal handler, bundled with the same settings: its SDK clients, and an answer. */
async function bundleMinimal(fn: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${fn}-minimal.cjs`);
  const clients = (SDK_CLIENTS[fn] ?? []).map((client) => `import "./minimal/${client}";`);
  await build({
    ...functionBuildOptions,
    stdin: { contents: [...clients, 'export { handler } from "./minimal/handler";'].join("\n"), resolveDir: "bench", loader: "ts" },
    outfile,
    logLevel: "silent",
  });
  return outfile;
}

/**
 * A first event each function answers without reaching AWS: `GET /health` (a 200 from query, a
 * 404 RouteNotFound through the same middleware chain elsewhere), or an empty stream batch.
 */
const HEALTH_EVENT = {
  version: "2.0",
  routeKey: "GET /health",
  rawPath: "/health",
  rawQueryString: "",
  headers: {},
  isBase64Encoded: false,
  requestContext: {
    requestId: "bench",
    routeKey: "GET /health",
    http: { method: "GET", path: "/health" },
    authorizer: { iam: { userArn: "arn:aws:iam::1:user/bench" } },
  },
};
const firstEvent = (fn: string) => (fn === "publisher" ? { Records: [] } : HEALTH_EVENT);

/** As the API stack deploys it, a function that sends verification tasks is told its queue, and so builds an SQS client. */
function deployedSettings(fn: string): Record<string, string> {
  const grants: readonly Grant[] = fn in FUNCTIONS ? FUNCTIONS[fn as FunctionName].grants : [];
  return grants.includes("sendVerificationTasks")
    ? { [ENVIRONMENT_VARIABLES.verificationQueueUrl]: "http://127.0.0.1:9/queue/verification" }
    : {};
}

/** Where the probe's time begins in its stdout: the function may print before it (a metrics namespace set: EMF). */
const ELAPSED_MARK = "cold start ms: ";

/**
 * Module load plus a first invocation, timed inside a fresh Node process; a failed invocation fails
 * the benchmark. The bundle is `require`d, as Lambda's runtime loads a CommonJS `index.js` outside a
 * `"type": "module"` package (its UserFunction.js): `import()` would add Node's scan of the whole
 * bundle for CommonJS exports, about 11 ms the deployed function never spends.
 */
async function coldStart(
  fn: string,
  bundlePath: string,
  dir: string,
  settings: Record<string, string> = {},
  options: { compiled?: string } = {},
): Promise<number> {
  const probe = join(dir, "probe.mjs");
  // Compiled as Node's CommonJS loader compiles a module (its wrapSafe), and never called.
  const compile = options.compiled
    ? `load("node:vm").compileFunction(load("node:fs").readFileSync(${JSON.stringify(options.compiled)}, "utf8"), ["exports", "require", "module", "__filename", "__dirname"], { filename: ${JSON.stringify(options.compiled)} });`
    : "";
  await writeFile(
    probe,
    `import { createRequire } from "node:module";
const load = createRequire(import.meta.url);
const started = performance.now();
const { handler } = load(${JSON.stringify(bundlePath)});
${compile}
const answer = await handler(${JSON.stringify(firstEvent(fn))}, { awsRequestId: "bench", functionName: "bench", getRemainingTimeInMillis: () => 1000 });
const elapsed = performance.now() - started;
if (answer?.statusCode >= 500) throw new Error("first invoke answered " + JSON.stringify(answer));
process.stdout.write("\\n${ELAPSED_MARK}" + elapsed);`,
  );
  const env = {
    ...process.env,
    TABLE_NAME: "bench",
    DLQ_URL: "http://127.0.0.1:9/queue/bench",
    AWS_REGION: "us-east-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    ROLE_BINDINGS: '[{"pattern":"*","roles":["reader"]}]',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...settings,
  };
  const { stdout } = await promisify(execFile)(process.execPath, [probe], { env });
  const elapsed = Number(stdout.slice(stdout.lastIndexOf(ELAPSED_MARK) + ELAPSED_MARK.length));
  if (!Number.isFinite(elapsed)) throw new Error(`${fn}'s cold start printed no time: ${stdout}`);
  return elapsed;
}

export async function benchBundles(): Promise<BundleFigure[]> {
  // Inside the repository, so that the bundles resolve the AWS SDK from node_modules as the runtime provides it.
  const dir = await mkdtemp(join(process.cwd(), ".bench-"));
  try {
    const figures: BundleFigure[] = [];
    for (const fn of [...Object.keys(FUNCTIONS), "publisher"]) {
      const path = await bundle(fn, dir);
      const minimalPath = await bundleMinimal(fn, dir);
      const settings = deployedSettings(fn);
      const runs: number[] = [];
      const deployed: number[] = [];
      const minimal: number[] = [];
      const floor: number[] = [];
      // Interleaved, so that a busy moment of the machine falls on all four alike.
      for (let run = 0; run < COLD_STARTS; run++) {
        runs.push(await coldStart(fn, path, dir, settings));
        deployed.push(await coldStart(fn, path, dir, { ...settings, ...DEPLOYED }));
        minimal.push(await coldStart(fn, minimalPath, dir, settings));
        floor.push(await coldStart(fn, minimalPath, dir, settings, { compiled: path }));
      }
      figures.push({
        fn,
        bytes: (await stat(path)).size,
        coldStartMs: median(runs),
        deployedColdStartMs: median(deployed),
        minimalColdStartMs: median(minimal),
        ratio: median(runs.map((ms, run) => ms / (minimal[run] as number))),
        floor: median(floor.map((ms, run) => ms / (minimal[run] as number))),
      });
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const KiB = 1024;

export function printBundles(figures: readonly BundleFigure[]): void {
  console.log(
    `Bundles (esbuild, minified, AWS SDK from the runtime) and cold start (module load + first invoke, fresh Node process, median of ${COLD_STARTS}):`,
  );
  const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");
  for (const figure of figures) {
    const size = figure.bytes / KiB;
    const { ratio, floor } = figure;
    console.log(
      `  ${figure.fn.padEnd(10)} ${size.toFixed(1).padStart(7)} KiB (≤ 300: ${verdict(size <= 300)})   ${figure.coldStartMs.toFixed(0).padStart(4)} ms (≤ 150: ${verdict(figure.coldStartMs <= 150)})   deployed (tracing, metrics) ${figure.deployedColdStartMs.toFixed(0).padStart(4)} ms   minimal handler with the same SDK clients ${figure.minimalColdStartMs.toFixed(0).padStart(4)} ms, ratio ${ratio.toFixed(2)} (≤ 1.10: ${verdict(ratio <= 1.1)}; compiling the bundle alone: ${floor.toFixed(2)})`,
    );
  }
}
