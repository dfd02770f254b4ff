import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRegistry, type LocalRegistry } from "../infra/local/start";

/** Runs `bench` against a fresh local registry in a temporary directory, removed afterwards. */
export async function withLocalRegistry(bench: (registry: LocalRegistry) => Promise<void>): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const dataDir = await mkdtemp(join(tmpdir(), "registry-bench-"));
  const registry = await startLocalRegistry({ port: 0, dataDir, quiet: true });
  try {
    await bench(registry);
  } finally {
    await registry.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
