import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";
import { useTempFiles } from "../support/temp-files";

/** Two `npm start`s on one data directory (a second terminal with another PORT) would share DynamoDB Local's database and announce every change twice. */

const scratch = useTempFiles("registry-one-per-data-dir-");
let first: LocalRegistry | undefined;
afterAll(async () => {
  await first?.stop();
});

describe("npm start's data directory", () => {
  it("refuses a second registry on the data directory of a running one, and takes it once that one stopped", async () => {
    const dataDir = join(scratch.dir(), "data");
    first = await startLocalRegistry({ port: 0, dataDir, quiet: true });

    await expect(startLocalRegistry({ port: 0, dataDir, quiet: true })).rejects.toThrow(
      `${dataDir} is the data of another local registry (pid ${process.pid})`,
    );
    expect(await (await fetch(new URL("/health", first.url))).json()).toEqual({ status: "ok" });
    await first.stop();
    first = await startLocalRegistry({ port: 0, dataDir, quiet: true });
    expect(await (await fetch(new URL("/health", first.url))).json()).toEqual({ status: "ok" });
  }, 90_000);
});
