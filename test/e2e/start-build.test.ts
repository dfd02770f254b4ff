import { afterAll, describe, expect, it } from "vitest";
import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openApiDocument } from "../../shared/http/openapi";
import { OPENAPI_ASSET } from "../../shared/http/openapi-asset";
import { launchNpmStart, startNpmStart, type NpmStart } from "../support/npm-start";

/**
 * `npm start` runs a bundle of the sources built once per change (infra/local/launch.mjs): a
 * restart without edits reuses it, and a restart after an edit runs the edited code. In a copy of
 * the checkout, so that editing a handler touches nothing else.
 */

const SLOW = 180_000;
const repoRoot = resolve(import.meta.dirname, "../..");
const started: NpmStart[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(started.map((server) => server.killHard()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function copyOfCheckout(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "registry-checkout-"));
  tempDirs.push(copy);
  for (const entry of ["infra", "functions", "shared", "client", "package.json", "package-lock.json", "tsconfig.json"]) {
    await cp(join(repoRoot, entry), join(copy, entry), { recursive: true });
  }
  await symlink(join(repoRoot, "node_modules"), join(copy, "node_modules"));
  return copy;
}

/** A file beside the copy's one bundle, under its key's directory. */
async function besideTheBundle(checkout: string, file: string): Promise<string> {
  const build = join(checkout, ".registry", "build");
  const keys = (await readdir(build)).filter((entry) => /^[0-9a-f]{16}$/.test(entry));
  expect(keys).toHaveLength(1);
  return join(build, keys[0] as string, file);
}

/** Starts the copy's `npm start`, asks for `path`, stops it; answers what it printed and the answer's body. */
async function startAndAsk(checkout: string, path: string): Promise<{ stdout: string; body: unknown }> {
  const server = await startNpmStart(join(checkout, ".registry", "data"), {}, { cwd: checkout });
  started.push(server);
  try {
    const response = await fetch(`${server.url}${path}`);
    return { stdout: server.stdout(), body: await response.json() };
  } finally {
    server.child.kill("SIGTERM");
    expect(await server.exited, server.output()).toEqual({ code: 0, signal: null });
  }
}

describe("npm start's bundle", () => {
  it(
    "is built on the first start, reused by a restart without edits, and rebuilt with a handler's edit on the next",
    async () => {
      const checkout = await copyOfCheckout();
      const BUILT = /Built the local registry in \d+\.\d s/;

      const first = await startAndAsk(checkout, "/openapi.json");
      expect(first.stdout).toMatch(BUILT);
      expect(first.body).toEqual(openApiDocument());

      // The document was generated with the bundle and is read from beside it, not built on a first request.
      const asset = await besideTheBundle(checkout, OPENAPI_ASSET);
      expect(JSON.parse(await readFile(asset, "utf8"))).toEqual(openApiDocument());
      await writeFile(asset, JSON.stringify({ read: "beside the bundle" }));

      const unchanged = await startAndAsk(checkout, "/openapi.json");
      expect(unchanged.stdout).not.toMatch(BUILT);
      expect(unchanged.body).toEqual({ read: "beside the bundle" });

      const handler = join(checkout, "functions/query/handler.ts");
      const source = await readFile(handler, "utf8");
      const edited = source.replace("ok(await openApiDocument())", 'ok({ edited: "after the restart" })');
      expect(edited).not.toBe(source);
      await writeFile(handler, edited);

      const after = await startAndAsk(checkout, "/openapi.json");
      expect(after.stdout).toMatch(BUILT);
      expect(after.body).toEqual({ edited: "after the restart" });
    },
    SLOW,
  );

  it(
    "keeps the bundle of a running registry when another start rebuilds: its verifier's workers load from there later",
    async () => {
      const checkout = await copyOfCheckout();
      const running = await startNpmStart(join(checkout, ".registry", "first"), {}, { cwd: checkout });
      started.push(running);
      const worker = await besideTheBundle(checkout, "verifier-worker.mjs");

      const handler = join(checkout, "functions/query/handler.ts");
      await writeFile(handler, "\n// edited beside a running registry\n", { flag: "a" });
      const rebuilt = await startNpmStart(join(checkout, ".registry", "second"), {}, { cwd: checkout });
      started.push(rebuilt);

      expect(rebuilt.stdout()).toMatch(/Built the local registry/);
      expect((await stat(worker)).isFile()).toBe(true);
    },
    SLOW,
  );

  it(
    "stops with esbuild's errors and one line saying what to do when a handler does not compile",
    async () => {
      const checkout = await copyOfCheckout();
      await writeFile(join(checkout, "functions/query/handler.ts"), "export const handler = ;\n", { flag: "a" });

      const launched = launchNpmStart({ PORT: "0", REGISTRY_DATA_DIR: join(checkout, ".registry", "data") }, { cwd: checkout });
      const exit = await launched.exited;

      expect(exit, launched.output()).toEqual({ code: 1, signal: null });
      expect(launched.stderr()).toContain("functions/query/handler.ts:");
      expect(launched.stderr().trim().split("\n").at(-1)).toBe(
        "The local registry did not build: fix the errors above, then start it again.",
      );
      expect(launched.stderr()).not.toMatch(/^\s+at /m);
      expect(launched.stdout()).not.toContain("Model registry API");
    },
    SLOW,
  );
});
