import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startLocalRegistry, type LocalRegistry, type LocalRegistryOptions } from "../../infra/local/start";

/**
 * This file's `npm start` registry, in this process, on a fresh data directory: started before the
 * file's tests, stopped and its directory removed after them. `prepare` may write files there
 * first (a tokens file, say) and answers with the options that name them.
 */
export function useLocalRegistry(
  prefix: string,
  prepare: (dataDir: string) => Promise<LocalRegistryOptions> = async () => ({}),
): LocalRegistry {
  const registry = {} as LocalRegistry;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), prefix));
    Object.assign(registry, await startLocalRegistry({ ...(await prepare(dataDir)), port: 0, dataDir, quiet: true }));
  });
  afterAll(async () => {
    await registry.stop?.(); // absent if starting it failed: that failure is the one to see
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return registry;
}
