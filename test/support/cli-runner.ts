import { join } from "node:path";
import { main } from "../../client/cli";
import type { CliIo } from "../../client/render";

/**
 * The CLI as a user runs it (its `main`, streams captured, not a terminal) against the registry
 * at `url()`, its resume journals under `cacheDir()`: both known only once the tests have started.
 */
export function cliRunner(url: () => string, cacheDir: () => string) {
  return async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      interactive: false,
      env: { ...process.env, REGISTRY_URL: url(), XDG_CACHE_HOME: join(cacheDir(), "cache") },
      now: Date.now,
    };
    const code = await main(argv, io);
    return { code, stdout, stderr };
  };
}
