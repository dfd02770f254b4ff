import { afterEach, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MiB, SINGLE_PUT_MAX_BYTES } from "../../shared/domain/artifacts";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { push } from "../../client/upload";
import { startLocalRegistry } from "../../infra/local/start";
import { useLocalRegistry } from "../support/local-registry";
import { uniqueModelName } from "../support/registry";
import { useTempFiles } from "../support/temp-files";

/**
 * A push whose part URLs expire under it, against `npm start` with a 2-minute URL expiry. The
 * registry, the S3 front and the client share this process's clock: a test that moves it past the
 * URLs' expiry while a part is on its way makes the S3 front refuse that part as S3 does.
 */

const URL_EXPIRY_SECONDS = 120;
/** Just over the single-PUT limit, in 5 MiB parts: a multipart upload of 13 parts. */
const FILE_BYTES = SINGLE_PUT_MAX_BYTES + 1;
const PART_COUNT = Math.ceil(FILE_BYTES / (5 * MiB));
const registry = useLocalRegistry("registry-url-expiry-", async () => ({ uploadUrlExpirySeconds: URL_EXPIRY_SECONDS }));
const scratch = useTempFiles("registry-url-expiry-files-");

afterEach(() => {
  vi.useRealTimers();
});

/** What the client sent, in order: PUTs of parts and their answers, requests for part URLs. */
type Sent =
  | {
      readonly kind: "put";
      readonly partNumber: number;
      readonly signature: string | null;
      readonly status: number;
      readonly answer: string;
    }
  | { readonly kind: "urls"; readonly parts: readonly number[] };

/** Moves the shared clock past the expiry of every URL signed until now. */
const expireUrlsSignedSoFar = () => vi.setSystemTime(Date.now() + (URL_EXPIRY_SECONDS + 1) * 1000);

const clientFetchingWith = (fetchWithClock: Fetch) =>
  createRegistryClient({ url: registry.url, auth: { type: "none" }, fetch: fetchWithClock });

describe("a push whose part URLs expire", () => {
  it("gets fresh part URLs when S3 refuses expired ones (403) and ends READY", async () => {
    const model = uniqueModelName("churn_predictor");
    const file = join(scratch.dir(), "expiring.bin");
    await writeFile(file, randomBytes(FILE_BYTES));
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    const sent: Sent[] = [];
    let expired = false;
    const fetchWithClock: Fetch = async (input, init) => {
      const url = new URL(String(input));
      if (url.pathname.endsWith("/artifact/parts"))
        sent.push({ kind: "urls", parts: JSON.parse(String(init?.body)).parts.map((part: { partNumber: number }) => part.partNumber) });
      const partNumber = Number(url.searchParams.get("partNumber"));
      if (init?.method !== "PUT" || !partNumber) return fetch(input, init);
      if (partNumber === 4 && !expired) {
        // Part 4's URL is in the client's hands: every URL signed so far expires now.
        expired = true;
        expireUrlsSignedSoFar();
      }
      const response = await fetch(input, init);
      sent.push({
        kind: "put",
        partNumber,
        signature: url.searchParams.get("X-Amz-Signature"),
        status: response.status,
        answer: response.ok ? "" : await response.clone().text(),
      });
      return response;
    };
    const client = clientFetchingWith(fetchWithClock);

    const result = await push(client, {
      file,
      model,
      partSizeBytes: 5 * MiB,
      partUrlsPerRequest: 4,
      concurrency: 2,
      journalDirectory: join(scratch.dir(), "journals"),
    });

    expect(result.version).toMatchObject({ status: "READY", artifact: { sizeBytes: FILE_BYTES } });
    const puts = sent.flatMap((entry, at) => (entry.kind === "put" ? [{ ...entry, at }] : []));
    const refused = puts.filter((put) => put.status === 403);
    expect(refused.map((put) => put.partNumber)).toContain(4);
    for (const { partNumber, signature, answer, at } of refused) {
      expect(answer).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
      // A fresh URL for the part was asked for after the refusal, and the part PUT again with it.
      const asked = sent.findIndex((entry, index) => index > at && entry.kind === "urls" && entry.parts.includes(partNumber));
      expect(asked, `fresh URL for part ${partNumber}`).toBeGreaterThan(at);
      const accepted = puts.find((put) => put.at > asked && put.partNumber === partNumber && put.status === 200);
      expect(accepted, `part ${partNumber} accepted`).toBeDefined();
      expect(accepted?.signature).not.toBe(signature);
    }
    expect(new Set(puts.filter((put) => put.status === 200).map((put) => put.partNumber))).toEqual(
      new Set(Array.from({ length: PART_COUNT }, (_, index) => index + 1)),
    );
  }, 60_000);

  it("renews a single PUT's expired URL from the upload plan, restarting nothing, and ends READY", async () => {
    const model = uniqueModelName("churn_predictor");
    const file = join(scratch.dir(), "small.bin");
    await writeFile(file, randomBytes(64 * 1024));
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    const sent: { readonly method: string; readonly path: string; readonly status: number }[] = [];
    let expired = false;
    const fetchWithClock: Fetch = async (input, init) => {
      const url = new URL(String(input));
      const toS3 = url.searchParams.has("X-Amz-Signature");
      if (toS3 && !expired) {
        // The first PUT's URL is in the client's hands: it expires now.
        expired = true;
        expireUrlsSignedSoFar();
      }
      const response = await fetch(input, init);
      sent.push({ method: init?.method ?? "GET", path: toS3 ? "S3" : url.pathname, status: response.status });
      return response;
    };
    const client = clientFetchingWith(fetchWithClock);

    const result = await push(client, { file, model, journalDirectory: join(scratch.dir(), "journals") });

    expect(result.version).toMatchObject({ status: "READY", artifact: { sizeBytes: 64 * 1024 } });
    const puts = sent.filter((entry) => entry.path === "S3");
    expect(puts.map((put) => put.status)).toEqual([403, 200]);
    const between = sent.slice(sent.indexOf(puts[0] as (typeof sent)[number]) + 1, sent.indexOf(puts[1] as (typeof sent)[number]));
    expect(between).toEqual([{ method: "GET", path: `/models/${model}/versions/1/artifact/uploads`, status: 200 }]);
    expect(sent.filter((entry) => entry.path.endsWith("/artifact/upload"))).toEqual([]);
  }, 60_000);

  it("refuses to start with an expiry S3 would not sign", async () => {
    await expect(startLocalRegistry({ uploadUrlExpirySeconds: 30, port: 0, dataDir: scratch.dir() })).rejects.toThrow(
      'UPLOAD_URL_EXPIRY_SECONDS must be whole seconds from 60 to 604800 (7 days), not "30".',
    );
  });
});
