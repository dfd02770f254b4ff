import { afterAll, describe, expect, it } from "vitest";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { assertNotProd, ProdRefusedError, runSmoke, type ObservedEvent, type SmokeEventSource } from "../../client/smoke";
import { createRegistryClient } from "../../client/sdk";
import { localCredentials } from "../../infra/local/engines";
import { LOCAL_BUCKET_NAME } from "../../infra/local/start";
import { ROLES } from "../../shared/domain/permissions";
import { SMOKE_EVENTS_PATTERN } from "../../shared/events/model-events";
import { useLocalRegistry } from "../support/local-registry";
import { startWebhook, type Webhook } from "../support/webhook";

/** `npm run smoke`'s scenario against `npm start`, signed with SigV4 as against a deployed stack. */

const SMOKE_KEYS = { accessKeyId: "AKIALOCALSMOKE000001", secretAccessKey: "smoke/secret" };

let webhook: Webhook;
afterAll(() => webhook?.stop());

const registry = useLocalRegistry("registry-smoke-", async (dataDir) => {
  // The local bus's counterpart of the events stack's smoke-events rule and queue: same pattern, an HTTP target.
  webhook = await startWebhook();
  const rules = [{ name: "smoke-events", eventPattern: SMOKE_EVENTS_PATTERN, targets: [{ url: webhook.url }] }];
  await writeFile(join(dataDir, "rules.json"), JSON.stringify(rules));
  const credentialsFile = join(dataDir, "credentials.json");
  const principal = "arn:aws:sts::000000000000:assumed-role/registry-smoke/run";
  const credentials = { [SMOKE_KEYS.accessKeyId]: { secretAccessKey: SMOKE_KEYS.secretAccessKey, principal, roles: ROLES } };
  await writeFile(credentialsFile, JSON.stringify({ credentials }));
  return { credentialsFile };
});

/** What the webhook received, each event once, as a queue hands out new messages only. */
function webhookEventSource(): SmokeEventSource {
  let read = 0;
  return {
    name: `the rules.json target ${webhook.url}`,
    receive: async () => webhook.received.slice(read, (read = webhook.received.length)) as unknown as ObservedEvent[],
  };
}

const smokeClient = () =>
  createRegistryClient({ url: registry.url, auth: { type: "sigv4", region: "us-east-1", credentials: SMOKE_KEYS } });

describe("the smoke test", () => {
  it("registers, uploads, promotes, resolves, finds the artifact in the bucket, observes its events and cleans up, signing with SigV4", async () => {
    const client = smokeClient();
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: registry.engines.s3,
      forcePathStyle: true,
      credentials: localCredentials,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });

    const result = await runSmoke(client, {
      bucket: { name: LOCAL_BUCKET_NAME, s3 },
      events: { source: webhookEventSource(), timeoutMs: 10_000 },
    }).finally(() => s3.destroy());

    expect(result.steps).toEqual([
      "register, upload, complete",
      "promote to Staging",
      "promote to Production",
      "resolve",
      "artifact in bucket",
      "events observed",
      "clean up",
    ]);
    await expect(client.getVersion({ name: result.model, v: String(result.version) })).rejects.toMatchObject({ status: 404 });
  });

  it("fails naming the events that did not reach the target by the deadline, and still cleans up", async () => {
    const client = smokeClient();
    const steps: string[] = [];
    // A target whose rule matches only the registration: the rest never arrives.
    const onlyRegistrations: SmokeEventSource = {
      name: "a registrations-only target",
      receive: async () => (await webhookEventSource().receive("")).filter((event) => event["detail-type"] === "Model Version Registered"),
    };

    const smoke = runSmoke(client, {
      model: "smoke_probe_missed",
      events: { source: onlyRegistrations, timeoutMs: 2_000 },
      onStep: (step) => steps.push(step),
    });

    await expect(smoke).rejects.toThrow(
      "No Model Version Ready, Model Version Stage Changed to Staging, Model Version Stage Changed to Production event of smoke_probe_missed v1 reached a registrations-only target within 2 s",
    );
    expect(steps).toEqual(["register, upload, complete", "promote to Staging", "promote to Production", "resolve"]);
    await expect(client.getVersion({ name: "smoke_probe_missed", v: "1" })).rejects.toMatchObject({ status: 404 });
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
