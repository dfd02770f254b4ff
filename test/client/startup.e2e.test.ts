import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { useTempFiles } from "../support/temp-files";

/** `registry --version` and `--help` start in little more than Node's own time: they load neither the SDK's schemas nor the AWS SDK. */

const repoRoot = resolve(import.meta.dirname, "../..");
const scratch = useTempFiles("registry-startup-");

/** The modules `registry <argv>` imports, run from the sources as `npm run registry` does, whether it succeeds or not. */
async function importsOf(...argv: string[]): Promise<{ stdout: string; modules: string[] }> {
  const record = join(scratch.dir(), `${argv.join("_")}.txt`);
  const ran = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--import", join(repoRoot, "test/support/record-imports.mjs"), "client/bin.ts", ...argv],
    { cwd: repoRoot, env: { ...process.env, RECORD_IMPORTS: record, REGISTRY_TOKEN: "" } },
  ).catch((failed: { stdout: string }) => failed);
  return { stdout: ran.stdout, modules: (await readFile(record, "utf8")).trim().split("\n") };
}

const heavy = /node_modules\/(zod|@aws-sdk|@smithy)\/|\/shared\/(schemas|routes)/;

describe("registry start-up", () => {
  it.each(["--version", "--help", "push --help"])("registry %s loads no zod schema, no AWS SDK", async (args) => {
    const { stdout, modules } = await importsOf(...args.split(" "));

    expect(stdout).not.toBe("");
    expect(modules).toContainEqual(expect.stringMatching(/\/node_modules\/commander\//));
    expect(modules.filter((url) => heavy.test(url))).toEqual([]);
  });

  it("a command that calls the registry loads the SDK, and the check sees it", async () => {
    // Refused after loading the SDK, before any request: token auth without a token.
    const { modules } = await importsOf("--auth", "token", "models", "list");

    expect(modules.filter((url) => heavy.test(url))).not.toEqual([]);
  });
});
