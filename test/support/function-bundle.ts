import { build } from "esbuild";
import { createRequire } from "node:module";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { besideBundleOf, functionBuildOptions, writeBesideBundle } from "../../infra/bundling";
import type { FunctionName } from "../../shared/routes";
import type { ApiHandler } from "./registry";

/**
 * The function as the API stack deploys it: its bundle and the files it reads beside it
 * (infra/registry-function.ts), in a new directory under `parentDir`, which must be inside the
 * repository so that the bundle finds the AWS SDK in node_modules as the runtime provides it.
 * The bundle reads its config from the environment when loaded, as a deployed function does.
 */
export async function deployedHandler(fn: FunctionName, parentDir: string): Promise<ApiHandler> {
  return loadHandler(await deployedBundle(fn, parentDir));
}

/** The deployed function's files, as deployedHandler writes them: the path of its bundle, not yet loaded. */
export async function deployedBundle(fn: FunctionName, parentDir: string): Promise<string> {
  const dir = await mkdtemp(join(parentDir, `${fn}-`));
  // .cjs: inside this repository a .js file is an ES module (package.json).
  const outfile = join(dir, "index.cjs");
  await build({ ...functionBuildOptions, entryPoints: [`functions/${fn}/handler.ts`], outfile, logLevel: "silent" });
  await writeBesideBundle(dir, besideBundleOf(fn));
  return outfile;
}

/** Loads a bundle as Lambda does: a new path is a fresh module, its module scope run now. */
export const loadHandler = (bundle: string): ApiHandler => (createRequire(import.meta.url)(bundle) as { handler: ApiHandler }).handler;
