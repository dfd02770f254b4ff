import { build } from "esbuild";
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { FUNCTIONS } from "../shared/routes";

export interface BundleFigure {
  readonly fn: string;
  readonly bytes: number;
  readonly coldStartMs: number;
}

/** The same esbuild settings as the CDK function construct: minified ESM for Node.js 22, the runtime's AWS SDK left out. */
async function bundle(fn: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${fn}.mjs`);
  await build({
    entryPoints: [`functions/${fn}/handler.ts`],
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "esm",
    outfile,
    external: ["@aws-sdk/*"],
    banner: { js: "import { createRequire as __createRequire } from 'module'; const require = __createRequire(import.meta.url);" },
    logLevel: "silent",
  });
  return outfile;
}

/** Module load plus a first `GET /health`-shaped invocation, timed inside a fresh Node process. */
async function coldStart(bundlePath: string, dir: string): Promise<number> {
  const probe = join(dir, "probe.mjs");
  await writeFile(
    probe,
    `const started = performance.now();
const { handler } = await import(${JSON.stringify(bundlePath)});
await handler({ version: "2.0", routeKey: "GET /health", rawPath: "/health", rawQueryString: "", headers: {}, isBase64Encoded: false,
  requestContext: { requestId: "bench", routeKey: "GET /health", http: { method: "GET", path: "/health" }, authorizer: { iam: { userArn: "arn:aws:iam::1:user/bench" } } } },
  { awsRequestId: "bench", functionName: "bench", getRemainingTimeInMillis: () => 1000 }).catch(() => undefined);
process.stdout.write(String(performance.now() - started));`,
  );
  const env = { ...process.env, TABLE_NAME: "bench", AWS_REGION: "us-east-1", POWERTOOLS_LOG_LEVEL: "SILENT", ROLE_BINDINGS: '[{"pattern":"*","roles":["reader"]}]', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  const { stdout } = await promisify(execFile)(process.execPath, [probe], { env });
  return Number(stdout);
}

export async function benchBundles(): Promise<BundleFigure[]> {
  // Inside the repository, so that the bundles resolve the AWS SDK from node_modules as the runtime provides it.
  const dir = await mkdtemp(join(process.cwd(), ".bench-"));
  try {
    const figures: BundleFigure[] = [];
    for (const fn of Object.keys(FUNCTIONS)) {
      const path = await bundle(fn, dir);
      const runs = [await coldStart(path, dir), await coldStart(path, dir), await coldStart(path, dir)];
      figures.push({ fn, bytes: (await stat(path)).size, coldStartMs: runs.sort((a, b) => a - b)[1] ?? Number.NaN });
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
