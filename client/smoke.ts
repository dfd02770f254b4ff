import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as pause } from "node:timers/promises";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { artifactObjectKey } from "../shared/domain/artifacts";
import { DETAIL_TYPES, SMOKE_MODEL_PREFIX } from "../shared/events/model-events";
import { createRegistryClient, type RegistryClient } from "./sdk";
import { push } from "./upload";
import { scriptOptions } from "./script-args";

/**
 * `npm run smoke -- --url <api url> --env <env> [--region <region>] [--bucket <artifacts bucket>] [--events-queue <queue url>]`: a short
 * black-box run against a deployed stack (docs/local.md, SigV4): register a version with an artifact,
 * upload and complete it, promote it to Staging then Production, resolve `models:/<name>/Production`,
 * then archive and delete what it created. It signs with SigV4 from the standard AWS credential
 * chain when the URL is execute-api's, so the caller needs the publisher, promoter and admin roles.
 * With `--bucket` it also checks that the artifact object is in the bucket; with `--events-queue` (the
 * events stack's `SmokeEventsQueueUrl`) it waits until its version's events reach that queue. The environment must be
 * named (`--env` or `--stack`), and a prod stack (`--env`, `--stack` or its URL naming prod) is
 * refused without `--yes-prod`.
 * Exit codes: 0 passed, 1 a step failed, 2 refused or a usage error.
 */

export type SmokeStep =
  | "register, upload, complete"
  | "promote to Staging"
  | "promote to Production"
  | "resolve"
  | "artifact in bucket"
  | "events observed"
  | "clean up";

/** A registry event as a rule's target receives it, reduced to what the smoke run looks at. */
export interface ObservedEvent {
  readonly "detail-type": string;
  readonly detail: { readonly model?: unknown; readonly version?: unknown; readonly toStage?: unknown };
}

/** Where a smoke run sees the registry's events arrive: a target of a rule matching smoke models' events. */
export interface SmokeEventSource {
  /** Said in a failure: where the events were awaited. */
  readonly name: string;
  /** The events that arrived since the last call (other smoke runs' too); it may acknowledge `model`'s. */
  receive(model: string): Promise<readonly ObservedEvent[]>;
}

export interface SmokeOptions {
  /** Default: a fresh `smoke_probe_<letters>`, so runs never meet. */
  readonly model?: string;
  /** Checked for the artifact object when given. */
  readonly bucket?: { readonly name: string; readonly s3: S3Client };
  /** Waited on, up to `timeoutMs` (default 2 minutes), for the version's events when given. */
  readonly events?: { readonly source: SmokeEventSource; readonly timeoutMs?: number };
  /** Each step as it finishes: progress is data, the caller prints it. */
  readonly onStep?: (step: SmokeStep, detail: string) => void;
}

export interface SmokeResult {
  readonly model: string;
  readonly version: number;
  readonly steps: readonly SmokeStep[];
}

/** Runs the scenario; whatever it registered is archived and deleted, even when a step fails. */
export async function runSmoke(client: RegistryClient, options: SmokeOptions = {}): Promise<SmokeResult> {
  const model = options.model ?? `${SMOKE_MODEL_PREFIX}${letters(8)}`;
  const steps: SmokeStep[] = [];
  const done = (step: SmokeStep, detail: string) => {
    steps.push(step);
    options.onStep?.(step, detail);
  };
  const dir = await mkdtemp(join(tmpdir(), "registry-smoke-"));
  let version: number | undefined;
  try {
    const file = join(dir, "model.bin");
    await writeFile(file, randomBytes(64 * 1024));
    const pushed = await push(client, { file, model, metadata: { description: "registry smoke test" }, journalDirectory: dir });
    version = pushed.version.version;
    done("register, upload, complete", `${model} v${version} ${pushed.version.status}`);
    for (const to of ["Staging", "Production"] as const) {
      await client.transitionVersion({ name: model, v: String(version), body: { to, reason: "smoke test" } });
      done(to === "Staging" ? "promote to Staging" : "promote to Production", `v${version} in ${to}`);
    }
    const resolved = await client.resolveModelUri({ query: { uri: `models:/${model}/Production` } });
    if (resolved.version !== version) throw new Error(`models:/${model}/Production resolved to v${resolved.version}, not v${version}.`);
    done("resolve", `models:/${model}/Production → v${resolved.version}`);
    if (options.bucket) {
      const key = artifactObjectKey(pushed.version.artifact?.sha256 ?? "");
      await options.bucket.s3.send(new HeadObjectCommand({ Bucket: options.bucket.name, Key: key }));
      done("artifact in bucket", `s3://${options.bucket.name}/${key}`);
    }
    if (options.events) {
      await awaitEvents(options.events.source, model, version, options.events.timeoutMs ?? 120_000);
      done("events observed", `${SMOKE_EVENTS.length} events of v${version} at ${options.events.source.name}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (version !== undefined) await cleanUp(client, model, version);
  }
  done("clean up", `${model} v${version} archived and deleted`);
  return { model, version, steps };
}

interface ExpectedEvent {
  readonly name: string;
  readonly type: string;
  readonly toStage?: string;
}

/** The events the scenario's changes announce (docs/events.md). */
const SMOKE_EVENTS: readonly ExpectedEvent[] = [
  { name: DETAIL_TYPES.VERSION_REGISTERED, type: DETAIL_TYPES.VERSION_REGISTERED },
  { name: DETAIL_TYPES.VERSION_READY, type: DETAIL_TYPES.VERSION_READY },
  { name: `${DETAIL_TYPES.STAGE_CHANGED} to Staging`, type: DETAIL_TYPES.STAGE_CHANGED, toStage: "Staging" },
  { name: `${DETAIL_TYPES.STAGE_CHANGED} to Production`, type: DETAIL_TYPES.STAGE_CHANGED, toStage: "Production" },
];

const isExpected = (event: ObservedEvent, expected: ExpectedEvent) =>
  event["detail-type"] === expected.type && (expected.toStage === undefined || event.detail.toStage === expected.toStage);

/** Polls `source` until every event of SMOKE_EVENTS for `model` v`version` arrived, or fails at the deadline naming those that did not. */
async function awaitEvents(source: SmokeEventSource, model: string, version: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = SMOKE_EVENTS;
  for (;;) {
    const arrived = (await source.receive(model)).filter((event) => event.detail.model === model && event.detail.version === version);
    missing = missing.filter((expected) => !arrived.some((event) => isExpected(event, expected)));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `No ${missing.map((event) => event.name).join(", ")} event of ${model} v${version} reached ${source.name} within ${timeoutMs / 1000} s: is the rule sending smoke models' events there (docs/deploy.md, Smoke test)?`,
      );
    }
    await pause(250);
  }
}

/**
 * The events stack's smoke-events queue (`SmokeEventsQueueUrl`). A run deletes its own model's
 * events; another run's become visible again 5 s after this one saw them, for the run they belong to.
 */
export function queueEventSource(sqs: SQSClient, queueUrl: string): SmokeEventSource {
  return {
    name: `the queue ${queueUrl}`,
    async receive(model) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: 5 }),
      );
      const received = messages.map((message) => ({ message, event: JSON.parse(message.Body ?? "{}") as ObservedEvent }));
      const own = received.filter(({ event }) => event.detail?.model === model);
      if (own.length > 0) {
        const entries = own.map(({ message }, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle }));
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      }
      return received.map(({ event }) => event);
    },
  };
}

/** Only Archived versions can be deleted (admin). */
async function cleanUp(client: RegistryClient, model: string, version: number): Promise<void> {
  await client.transitionVersion({ name: model, v: String(version), body: { to: "Archived", reason: "smoke test clean-up" } });
  await client.deleteVersion({ name: model, v: String(version) });
}

const letters = (count: number) => Array.from(randomBytes(count), (byte) => String.fromCharCode(97 + (byte % 26))).join("");

export class ProdRefusedError extends Error {}

/**
 * An execute-api URL never says which environment it serves, so the caller names it (`--env` or
 * `--stack`); a prod stack, named so by either or by its URL, needs `--yes-prod`.
 */
export function assertNotProd(target: { url: string; stack?: string; env?: string; yesProd?: boolean }): void {
  if (!target.env && !target.stack) {
    throw new ProdRefusedError(
      `Which environment is ${target.url}? Its URL does not say, and the smoke test registers, promotes and deletes a model there. Name it: --env <dev|staging|prod> (or --stack ModelRegistry-<env>-Api); prod also needs --yes-prod.`,
    );
  }
  const named = [target.url, target.stack ?? "", target.env ?? ""].some((name) => /prod/i.test(name));
  if (named && !target.yesProd) {
    throw new ProdRefusedError(
      `${target.url} is a prod stack (its --env, --stack or URL names prod): the smoke test registers, promotes and deletes a model there. Add --yes-prod to run it anyway.`,
    );
  }
}

const SMOKE_USAGE =
  "usage: npm run smoke -- --url <api url> --env <env> [--region <region>] [--bucket <bucket>] [--events-queue <queue url>] [--stack <name>] [--yes-prod] (docs/deploy.md)";

async function main(): Promise<void> {
  const values = scriptOptions(SMOKE_USAGE, {
    url: { type: "string" },
    region: { type: "string" },
    bucket: { type: "string" },
    "events-queue": { type: "string" },
    stack: { type: "string" },
    env: { type: "string" },
    "yes-prod": { type: "boolean", default: false },
  });
  if (!values.url) {
    console.error(SMOKE_USAGE);
    process.exit(2);
  }
  try {
    assertNotProd({ url: values.url, stack: values.stack, env: values.env, yesProd: values["yes-prod"] });
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const client = createRegistryClient({ url: values.url, auth: values.region ? { type: "sigv4", region: values.region } : undefined });
  const bucket = values.bucket
    ? {
        name: values.bucket,
        s3: new S3Client({
          region: values.region,
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
        }),
      }
    : undefined;
  const queueUrl = values["events-queue"];
  // A queue URL names its endpoint, as the registry's own SQS clients read it.
  const sqs = queueUrl ? new SQSClient({ region: values.region, endpoint: new URL(queueUrl).origin }) : undefined;
  const events = queueUrl && sqs ? { source: queueEventSource(sqs, queueUrl) } : undefined;
  try {
    const result = await runSmoke(client, { bucket, events, onStep: (step, detail) => console.error(`ok  ${step}: ${detail}`) });
    console.log(`Smoke test passed against ${values.url} (${result.steps.length} steps).`);
  } catch (error) {
    console.error(`Smoke test failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    bucket?.s3.destroy();
    sqs?.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
