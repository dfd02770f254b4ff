import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";
import { sigV4Signer } from "../../client/auth";
import { uniqueModelName } from "../support/registry";

/**
 * `npm start` with REGISTRY_CREDENTIALS_FILE: SigV4-signed requests verified as API Gateway's IAM
 * authorization verifies them, the CLI signing with the standard AWS environment variables.
 */

const repoRoot = resolve(import.meta.dirname, "../..");
const PUBLISHER = { accessKeyId: "AKIALOCALPUBLISHER01", secretAccessKey: "publisher/secret+key" };
const READER = { accessKeyId: "AKIALOCALREADER00001", secretAccessKey: "reader-secret" };
const PUBLISHER_ARN = "arn:aws:sts::000000000000:assumed-role/model-ci-publisher/run-42";
const CREDENTIALS = {
  credentials: {
    [PUBLISHER.accessKeyId]: { secretAccessKey: PUBLISHER.secretAccessKey, principal: PUBLISHER_ARN, roles: ["reader", "publisher"] },
    [READER.accessKeyId]: {
      secretAccessKey: READER.secretAccessKey,
      principal: "arn:aws:iam::000000000000:user/analyst",
      roles: ["reader"],
    },
  },
};

let registry: LocalRegistry;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-sigv4-"));
  const credentialsFile = join(dir, "credentials.json");
  await writeFile(credentialsFile, JSON.stringify(CREDENTIALS));
  registry = await startLocalRegistry({ port: 0, dataDir: join(dir, "data"), quiet: true, credentialsFile });
});
afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The `registry` bin in its own process, as a CI job runs it: keys in the environment, nothing else. */
async function registryCli(
  keys: { accessKeyId: string; secretAccessKey: string },
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...env } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(repoRoot, "client/registry.mjs"), "--url", registry.url, "--auth", "sigv4", ...argv],
      {
        env: { ...env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: "us-east-1" },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A request signed `signedAt`, its body then replaced by `sent` (undefined: the body signed). */
async function signedFetch(path: string, options: { body: string; sent?: string; signedAt?: Date }): Promise<Response> {
  const url = new URL(path, registry.url);
  const sign = sigV4Signer({ region: "us-east-1", credentials: PUBLISHER });
  const headers = await sign(
    { method: "POST", url, headers: { "content-type": "application/json" }, body: options.body },
    options.signedAt ?? new Date(),
  );
  return fetch(url, { method: "POST", headers, body: options.sent ?? options.body });
}

describe("npm start with a credentials file", () => {
  it("lets the CLI push and read with SigV4, acting as the key's principal with its roles", async () => {
    const model = uniqueModelName("fraud_detector");
    const file = join(dir, "model.bin");
    await writeFile(file, randomBytes(1024 * 1024));

    const pushed = await registryCli(PUBLISHER, "push", file, "--model", model, "--json");
    const history = await registryCli(READER, "history", model, "--json");
    const refused = await registryCli(READER, "push", file, "--model", model);

    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ uploaded: true, version: { model, version: 1, status: "READY" } });
    expect(JSON.parse(history.stdout).items.map((entry: { actor: string }) => entry.actor)).toContain(PUBLISHER_ARN);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("403 Forbidden");
    expect(refused.stderr).toContain("needs the 'publisher' role; arn:aws:iam::000000000000:user/analyst has reader");
  }, 60_000);

  it("answers 403 with IAM authorization's message to a wrong secret", async () => {
    const wrong = await registryCli({ ...PUBLISHER, secretAccessKey: "not-the-secret" }, "models", "list");

    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      "403 SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.",
    );
  }, 30_000);

  it("answers 403 to a body altered after signing, without running the route", async () => {
    const model = uniqueModelName("churn_predictor");

    const response = await signedFetch("/models", { body: JSON.stringify({ name: model }), sent: JSON.stringify({ name: `${model}_x` }) });

    expect(response.status).toBe(403);
    expect(((await response.json()) as { message: string }).message).toMatch(/^The request signature we calculated does not match/);
    expect((await signedFetch("/models", { body: JSON.stringify({ name: model }) })).status).toBe(201);
  });

  it("answers 403 to a signature older than 5 minutes, and to an unsigned request", async () => {
    const response = await signedFetch("/models", {
      body: JSON.stringify({ name: uniqueModelName("churn_predictor") }),
      signedAt: new Date(Date.now() - 6 * 60_000),
    });
    const unsigned = await fetch(`${registry.url}/models`);

    expect(response.status).toBe(403);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ message: "Forbidden", error: { code: "MissingAuthenticationToken" } });
  });
});
