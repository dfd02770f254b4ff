import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DETAIL_TYPES } from "../../shared/events/model-events";
import { startNpmStart, type NpmStart } from "../support/npm-start";
import { waitFor } from "../support/webhook";

/**
 * `npm start` killed with SIGKILL (the whole process group: node and DynamoDB Local's Java) in
 * the middle of concurrent registrations and promotions, then started again on the same data
 * directory. What docs/local.md ("Durability") promises must hold after the restart: every
 * acknowledged change is there, the registry is consistent, every change is announced, and a
 * change is announced twice only within the one publisher batch in flight at the kill.
 */

const MODELS = ["fraud_detector", "churn_predictor", "credit_scorer"];
const WORKERS_PER_MODEL = 2;
const KILL_AFTER_ACKNOWLEDGED = 24;
const PUBLISHER_BATCH = 10;

const started: NpmStart[] = [];
let dataDir: string | undefined;

afterAll(async () => {
  await Promise.all(started.map((server) => server.killHard()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Every page of a list route. */
async function all(url: string, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(url, "GET", `${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

interface Acknowledged {
  readonly model: string;
  readonly version: number;
  readonly source: string;
}

/** Registers, stages and promotes versions of `model` until the server stops answering; records each acknowledged registration. */
async function worker(url: string, model: string, id: number, acknowledged: Acknowledged[], kill: () => void): Promise<void> {
  for (let round = 0; ; round++) {
    try {
      const source = `s3://training/${model}/worker-${id}/run-${round}/model.tar.gz`;
      const registered = await call(url, "POST", `/models/${model}/versions`, { source, metrics: { auc: 0.9 } });
      if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${JSON.stringify(registered.body)}`);
      acknowledged.push({ model, version: registered.body.version, source });
      if (acknowledged.length === KILL_AFTER_ACKNOWLEDGED) kill();
      const { version } = registered.body;
      await call(url, "POST", `/models/${model}/versions/${version}/transitions`, { to: "Staging", reason: "load" });
      // Two workers race for Production: one wins, the other gets a 409 StageConflict; both are fine.
      await call(url, "POST", `/models/${model}/versions/${version}/transitions`, { to: "Production", reason: "load" });
    } catch (error) {
      if (error instanceof TypeError) return; // fetch failed: the server is gone
      throw error;
    }
  }
}

const sequenceOf = (items: { sequence: number }[]) => items.map((item) => item.sequence).sort((a, b) => a - b);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("npm start killed with SIGKILL under load", () => {
  it("restarts consistent, with every acknowledged registration, and announces every change (duplicates only within one batch)", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "registry-crash-"));
    const first = await startNpmStart(dataDir);
    started.push(first);

    const acknowledged: Acknowledged[] = [];
    let killing: Promise<void> | undefined;
    const kill = () => void (killing ??= first.killHard());
    await Promise.all(
      MODELS.flatMap((model) => Array.from({ length: WORKERS_PER_MODEL }, (_, id) => worker(first.url, model, id, acknowledged, kill))),
    );
    await killing;
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKNOWLEDGED);

    const second = await startNpmStart(dataDir);
    started.push(second);
    const { url } = second;
    const published = new Map<string, { model: string; sequence: number }>();

    for (const model of MODELS) {
      const versions = await all(url, `/models/${model}/versions`);
      const { body: current } = await call(url, "GET", `/models/${model}`);
      // Versions numbered 1..n without a gap, and the model's latest is n.
      expect(
        versions.map((v) => v.version).sort((a, b) => a - b),
        model,
      ).toEqual(oneTo(versions.length));
      expect(current.latestVersion, model).toBe(versions.length);
      // Every registration answered 201 is there, with the content it was acknowledged with.
      for (const ack of acknowledged.filter((a) => a.model === model)) {
        expect(versions.find((v) => v.version === ack.version)?.source, `${model} version ${ack.version}`).toBe(ack.source);
      }
      // At most one version in Production, and the pointer and the model's stages map agree with it.
      const inProduction = versions.filter((v) => v.stage === "Production").map((v) => v.version);
      expect(inProduction.length, model).toBeLessThanOrEqual(1);
      const pointer = await call(url, "GET", `/models/${model}/stages/Production`);
      expect(pointer.status === 200 ? [pointer.body.version] : [], model).toEqual(inProduction);
      expect(current.stages.Production, model).toBe(inProduction[0]);
      // History numbered 1..n without a gap.
      const history = await all(url, `/models/${model}/history`);
      expect(sequenceOf(history), model).toEqual(oneTo(history.length));
      for (const item of history) if (item.action in DETAIL_TYPES) published.set(item.eventId, { model, sequence: item.sequence });
    }

    // Every announced change reaches events.jsonl once the restarted tailer has caught up.
    const eventsLog = join(dataDir, "events.jsonl");
    const readEvents = async () =>
      (await readFile(eventsLog, "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line).detail as { eventId: string; model: string; sequence: number });
    const events = await waitFor(readEvents, (logged) => [...published.keys()].every((id) => logged.some((e) => e.eventId === id)), 20_000);

    // Nothing announced that the registry does not hold (no event of a lost change).
    for (const event of events)
      expect(published.get(event.eventId), JSON.stringify(event)).toEqual({ model: event.model, sequence: event.sequence });
    // Announced again only within the one batch in flight at the kill.
    const twice = [...published.keys()].filter((id) => events.filter((e) => e.eventId === id).length > 1);
    expect(twice.length).toBeLessThanOrEqual(PUBLISHER_BATCH);
    expect(events.length).toBe(published.size + twice.length);

    second.child.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 90_000);
});
