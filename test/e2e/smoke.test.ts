import { describe, expect, it } from "vitest";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { assertNotProd, ProdRefusedError, runSmoke } from "../../client/smoke";
import { createRegistryClient } from "../../client/sdk";
import { localCredentials } from "../../infra/local/engines";
import { LOCAL_BUCKET_NAME } from "../../infra/local/start";
import { ROLES } from "../../shared/domain/permissions";
import { useLocalRegistry } from "../support/local-registry";

/** `npm run smoke`'s scenario against `npm start`, signed with SigV4 as against a deployed stack. */

const SMOKE_KEYS = { accessKeyId: "AKIALOCALSMOKE000001", secretAccessKey: "smoke/secret" };

const registry = useLocalRegistry("registry-smoke-", async (dataDir) => {
  const credentialsFile = join(dataDir, "credentials.json");
  const principal = "arn:aws:sts::000000000000:assumed-role/registry-smoke/run";
  const credentials = { [SMOKE_KEYS.accessKeyId]: { secretAccessKey: SMOKE_KEYS.secretAccessKey, principal, roles: ROLES } };
  await writeFile(credentialsFile, JSON.stringify({ credentials }));
  return { credentialsFile };
});

describe("the smoke test", () => {
  it("registers, uploads, promotes, resolves, finds the artifact in the bucket and cleans up, signing with SigV4", async () => {
    const client = createRegistryClient({ url: registry.url, auth: { type: "sigv4", region: "us-east-1", credentials: SMOKE_KEYS } });
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: registry.engines.s3,
      forcePathStyle: true,
      credentials: localCredentials,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });

    const result = await runSmoke(client, { bucket: { name: LOCAL_BUCKET_NAME, s3 } }).finally(() => s3.destroy());

    expect(result.steps).toEqual([
      "register, upload, complete",
      "promote to Staging",
      "promote to Production",
      "resolve",
      "artifact in bucket",
      "clean up",
    ]);
    await expect(client.getVersion({ name: result.model, v: String(result.version) })).rejects.toMatchObject({ status: 404 });
  });

  it("refuses an API whose environment is not named, since an execute-api URL never says it is prod", () => {
    const url = "https://abc123.execute-api.eu-west-1.amazonaws.com/";

    expect(() => assertNotProd({ url })).toThrow(ProdRefusedError);
    expect(() => assertNotProd({ url, yesProd: true })).toThrow(/--env <dev\|staging\|prod> \(or --stack ModelRegistry-<env>-Api\)/);
    expect(() => assertNotProd({ url, env: "dev" })).not.toThrow();
    expect(() => assertNotProd({ url, stack: "ModelRegistry-staging-Api" })).not.toThrow();
  });

  it("refuses a prod stack unless told --yes-prod", () => {
    const url = "https://abc123.execute-api.eu-west-1.amazonaws.com";

    expect(() => assertNotProd({ url: "https://registry-prod.example.com", env: "staging" })).toThrow(ProdRefusedError);
    expect(() => assertNotProd({ url, stack: "ModelRegistry-prod-Api" })).toThrow(/--yes-prod/);
    expect(() => assertNotProd({ url, env: "prod" })).toThrow(ProdRefusedError);
    expect(() => assertNotProd({ url, env: "production" })).toThrow(ProdRefusedError);
    expect(() => assertNotProd({ url, env: "prod", yesProd: true })).not.toThrow();
    expect(() => assertNotProd({ url, env: "staging" })).not.toThrow();
  });

  it("is shown in docs/deploy.md only with commands the guard lets through", async () => {
    const commands = (await readFile("docs/deploy.md", "utf8")).split("\n").filter((line) => line.includes("npm run smoke -- "));
    const flag = (command: string, name: string) => new RegExp(`--${name} "?([^"\\s]+)`).exec(command)?.[1];

    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands.map((line) => line.replaceAll("$ENV", "staging"))) {
      const target = { url: flag(command, "url") ?? "", env: flag(command, "env"), stack: flag(command, "stack") };
      expect(() => assertNotProd({ ...target, yesProd: command.includes("--yes-prod") }), command).not.toThrow();
      if (target.env === "prod") expect(() => assertNotProd(target), command).toThrow(ProdRefusedError);
    }
  });
});
