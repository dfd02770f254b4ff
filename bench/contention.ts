import { randomUUID } from "node:crypto";
import { Agent } from "node:http";
import type { LocalRegistry } from "../infra/local/start";
import { buildArtifactDeps } from "../shared/artifacts-composition";
import { createDynamoDbClient } from "../shared/clients";
import { buildLifecycleDeps } from "../shared/lifecycle-composition";
import { loadConfig } from "../shared/config";
import { ROLES, type Caller } from "../shared/domain/permissions";
import { createLogger } from "../shared/logger";
import { transitionBody } from "../shared/schemas/lifecycle";
import { registerVersionBody } from "../shared/schemas/version";
import { registerVersion } from "../shared/use-cases/register-version";
import { setAlias } from "../shared/use-cases/set-alias";
import { transitionVersion } from "../shared/use-cases/transition-version";
import { sendJson } from "./http";
import { timed } from "./stats";

/**
 * Writes contending for one model (docs/operations.md, Benchmark): the same 50 writes sent all at
 * once and one after another, on two fresh models, in alternating order each round. Each write is
 * one commit of the model, so the work is serial by nature and the floor is a ratio of 1.0:
 * - register: 50 registrations (versions 1..50);
 * - promote: those 50 versions moved None → Staging (every move commits; a compare-and-set
 *   promotion to Production has one winner and 49 quick 409s);
 * - alias: 50 aliases pointed at those versions.
 * Measured through the local gateway (one process serves every request, as `npm start` does) and
 * through the use cases with a store per request (as in Lambda, where each concurrent request has
 * a process of its own and only the model's turn queue in the table orders the contenders).
 */

export const CONTENDED_WRITES = ["register", "promote", "alias"] as const;
export type ContendedWrite = (typeof CONTENDED_WRITES)[number];

export interface ContentionFigure {
  readonly write: ContendedWrite;
  readonly sequentialMs: number;
  readonly concurrentMs: number;
  /** Concurrent over sequential, of the totals over every round. */
  readonly ratio: number;
}

export interface ContentionFigures {
  readonly writes: number;
  readonly rounds: number;
  readonly gateway: readonly ContentionFigure[];
  readonly storePerRequest: readonly ContentionFigure[];
}

/** The contended writes as one caller makes them. */
interface Writer {
  register(model: string): Promise<unknown>;
  promote(model: string, version: number): Promise<unknown>;
  point(model: string, alias: string, version: number): Promise<unknown>;
  close(): void;
}

const WRITES = 50;
const ROUNDS = 3;

function gatewayWriter(registry: LocalRegistry): Writer {
  const agent = new Agent({ keepAlive: true, maxSockets: WRITES });
  const send = (path: string, method: string, body: unknown) => sendJson(agent, `${registry.url}${path}`, method, body);
  return {
    register: (model) => send(`/models/${model}/versions`, "POST", { source: "s3://bench/model.tar.gz" }),
    promote: (model, version) => send(`/models/${model}/versions/${version}/transitions`, "POST", { to: "Staging", reason: "bench" }),
    point: (model, alias, version) => send(`/models/${model}/aliases/${alias}`, "PUT", { version }),
    close: () => agent.destroy(),
  };
}

/** The use cases, each call with a store of its own: only the table makes the contenders take turns. */
function storePerRequestWriter(): Writer {
  const config = loadConfig();
  const dynamodb = createDynamoDbClient(config);
  const logger = createLogger(config);
  const shared = { ...buildArtifactDeps(config, dynamodb, logger), ...buildLifecycleDeps(config, dynamodb, logger) };
  const deps = () => ({ ...shared, store: buildLifecycleDeps(config, dynamodb, logger).store });
  const caller = (): Caller => ({ actor: "arn:aws:iam::123456789012:role/bench", requestId: randomUUID(), roles: ROLES });
  return {
    register: (model) => registerVersion(deps(), model, registerVersionBody.parse({ source: "s3://bench/model.tar.gz" }), caller()),
    promote: (model, version) =>
      transitionVersion(deps(), model, { number: version }, transitionBody.parse({ to: "Staging", reason: "bench" }), caller()),
    point: (model, alias, version) => setAlias(deps(), model, alias, { version }, caller()),
    close: () => dynamodb.destroy(),
  };
}

type Sender = (each: (version: number) => Promise<unknown>) => Promise<unknown>;
const versions = Array.from({ length: WRITES }, (_, i) => i + 1);
const allAtOnce: Sender = (each) => Promise.all(versions.map(each));
const oneAfterAnother: Sender = async (each) => {
  for (const version of versions) await each(version);
};

/** The three writes on a fresh model, each sent with `send`: milliseconds per write. */
async function timeWrites(writer: Writer, send: Sender): Promise<Record<ContendedWrite, number>> {
  // Letters only: a model name must not look versioned.
  const model = `contention_${randomUUID().replace(/[^a-f]/g, "")}`;
  return {
    register: await timed(() => send(() => writer.register(model))),
    promote: await timed(() => send((version) => writer.promote(model, version))),
    alias: await timed(() => send((version) => writer.point(model, `champion-${version}`, version))),
  };
}

async function figures(writer: Writer): Promise<ContentionFigure[]> {
  const sequential: Record<ContendedWrite, number>[] = [];
  const concurrent: Record<ContendedWrite, number>[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which goes first, so that neither always meets a warmer or busier engine.
      if (round % 2 === 0) sequential.push(await timeWrites(writer, oneAfterAnother));
      concurrent.push(await timeWrites(writer, allAtOnce));
      if (round % 2 === 1) sequential.push(await timeWrites(writer, oneAfterAnother));
    }
  } finally {
    writer.close();
  }
  const total = (times: Record<ContendedWrite, number>[], write: ContendedWrite) => times.reduce((sum, t) => sum + t[write], 0);
  return CONTENDED_WRITES.map((write) => {
    const sequentialMs = total(sequential, write) / ROUNDS;
    const concurrentMs = total(concurrent, write) / ROUNDS;
    return { write, sequentialMs, concurrentMs, ratio: concurrentMs / sequentialMs };
  });
}

export async function benchContention(registry: LocalRegistry): Promise<ContentionFigures> {
  return {
    writes: WRITES,
    rounds: ROUNDS,
    gateway: await figures(gatewayWriter(registry)),
    storePerRequest: await figures(storePerRequestWriter()),
  };
}

export function printContention(contention: ContentionFigures): void {
  console.log(
    `Contention: ${contention.writes} writes on one model sent at once vs one after another, each a new model, mean of ${contention.rounds} rounds:`,
  );
  for (const [where, figures] of [
    ["through the local gateway (one process serves all)", contention.gateway],
    ["a store per request (as Lambda: a process each)", contention.storePerRequest],
  ] as const) {
    console.log(`  ${where}:`);
    for (const figure of figures)
      console.log(
        `    ${figure.write.padEnd(8)} at once ${(figure.concurrentMs / 1000).toFixed(2)} s vs one after another ${(figure.sequentialMs / 1000).toFixed(2)} s, ratio ${figure.ratio.toFixed(2)} (≤ 1.3: ${figure.ratio <= 1.3 ? "ok" : "MISSED"})`,
      );
  }
}
