import { describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, main } from "../../client/cli";
import { VerificationPendingError } from "../../client/errors";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { continuedVersion, verified, type VersionView } from "../../client/upload";
import { useTempFiles } from "../support/temp-files";

/** A push whose verification never settles (its tasks dead-lettered, the verifier down): it stops, never waits forever. */

const scratch = useTempFiles("registry-verification-wait-");
const MiB = 1024 * 1024;

const verifying = (bytesVerified: number, bytesTotal: number) =>
  ({
    model: "fraud_detector",
    version: 7,
    status: "VERIFYING",
    verification: { filesVerified: 0, filesTotal: 1, bytesVerified, bytesTotal },
  }) as VersionView;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A registry whose `GET …/versions/7` answers the next view of `views` (the last one again once they run out); sleeps are recorded, never waited. */
function pollingRegistry(views: VersionView[]) {
  const sleeps: number[] = [];
  let polls = 0;
  const client = createRegistryClient({
    url: "http://registry.test",
    auth: { type: "none" },
    fetch: async () => json(200, views[Math.min(polls++, views.length - 1)]),
    retry: { sleep: async (ms) => void sleeps.push(ms) },
  });
  return { client, waitedMs: () => sleeps.reduce((sum, ms) => sum + ms, 0), polls: () => polls };
}

const noReport = () => {};

describe("waiting for the registry's verification", () => {
  it("stops with VerificationPendingError once the verification has not moved for 5 minutes plus the bytes left at 40 MiB/s", async () => {
    const stuck = verifying(0, 40 * MiB * 60);
    const { client, waitedMs } = pollingRegistry([stuck]);

    const waiting = verified(client, noReport, stuck, {});

    await expect(waiting).rejects.toBeInstanceOf(VerificationPendingError);
    await expect(waiting).rejects.toThrow("Version 7 of fraud_detector is still VERIFYING: its verification has not moved for 360 s");
    expect(waitedMs()).toBeGreaterThanOrEqual(6 * 60_000);
    expect(waitedMs()).toBeLessThan(6 * 60_000 + 5_000);
  });

  it("waits at most 16 minutes without progress, however many bytes are left", async () => {
    const stuck = verifying(0, 500 * 1024 * MiB);
    const { client, waitedMs } = pollingRegistry([stuck]);

    await expect(verified(client, noReport, stuck, {})).rejects.toThrow("has not moved for 960 s");
    expect(waitedMs()).toBeLessThan(16 * 60_000 + 5_000);
  });

  it("waits as long as the verification keeps moving, past the bound, until the version is READY", async () => {
    const started = verifying(0, 100 * MiB);
    const moving = Array.from({ length: 20 }, (_, poll) => verifying((poll + 1) * MiB, 100 * MiB));
    const ready = { ...started, status: "READY", verification: undefined } as VersionView;
    const { client, waitedMs } = pollingRegistry([...moving, ready]);

    const version = await verified(client, noReport, started, { verificationStallMs: 10_000 });

    expect(version.status).toBe("READY");
    expect(waitedMs()).toBeGreaterThan(10_000);
  });

  it("with a bound of 0 stops at once, polling nothing", async () => {
    const stuck = verifying(0, MiB);
    const { client, polls } = pollingRegistry([stuck]);

    await expect(verified(client, noReport, stuck, { verificationStallMs: 0 })).rejects.toBeInstanceOf(VerificationPendingError);
    expect(polls()).toBe(0);
  });
});

describe("a push run again on a version still VERIFYING", () => {
  it("completes the version again, which sends the tasks of a stalled verification again, and goes on with its answer", async () => {
    const requests: string[] = [];
    const resent = verifying(5, MiB);
    const client = createRegistryClient({
      url: "http://registry.test",
      auth: { type: "none" },
      fetch: async (input, init) => {
        requests.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
        return json(200, init?.method === "POST" ? resent : verifying(0, MiB));
      },
    });
    const journal = { version: 7, startOver: async () => {} };

    const current = await continuedVersion(client, "fraud_detector", journal, { subject: "model.bin", ours: () => true });

    expect(requests).toEqual(["GET /models/fraud_detector/versions/7", "POST /models/fraud_detector/versions/7/artifact/complete"]);
    expect(current).toEqual(resent);
  });
});

/** A registry that takes a single-PUT upload of version 7 and never finishes verifying it. */
const neverVerifies: Fetch = async (input, init) => {
  const url = String(input);
  const pending = { ...verifying(0, 3), status: "PENDING_UPLOAD", verification: undefined };
  if (init?.method === "POST" && url.endsWith("/models/fraud_detector/versions"))
    return json(201, {
      ...pending,
      upload: { method: "PUT", url: "http://bucket.test/object", headers: {}, expiresAt: "2999-01-01T00:00:00Z" },
    });
  if (init?.method === "PUT") return new Response(null, { status: 200, headers: { etag: '"e"' } });
  return json(url.endsWith("/complete") ? 202 : 200, verifying(0, 3));
};

describe("registry push when the verification never settles", () => {
  it("exits 4 with one JSON document, saying the version stays VERIFYING and how to check on it", async () => {
    const file = join(scratch.dir(), "model.bin");
    await writeFile(file, "abc");
    let stdout = "";
    let stderr = "";
    const io = {
      stdout: (text: string) => void (stdout += text),
      stderr: (text: string) => void (stderr += text),
      interactive: false,
      env: { XDG_CACHE_HOME: join(scratch.dir(), "cache") },
      now: Date.now,
    };

    const code = await main(
      ["--url", "http://registry.test", "--auth", "none", "--json", "push", file, "--model", "fraud_detector", "--wait", "0"],
      io,
      neverVerifies,
    );

    expect(code).toBe(EXIT.verificationPending);
    expect(JSON.parse(stdout)).toEqual({
      error: { code: "VerificationPendingError", message: expect.stringContaining("Version 7 of fraud_detector is still VERIFYING") },
    });
    expect(stderr).toContain("verifying…");
    expect(stderr).toContain("hint: Check on it with registry versions show fraud_detector 7, or run the same registry push again");
    expect(stderr).toContain("docs/operations.md");
  });

  it("refuses a --wait that is no duration, before any request", async () => {
    const file = join(scratch.dir(), "model.bin");
    await writeFile(file, "abc");
    let stderr = "";
    let requests = 0;
    const io = { stdout: () => {}, stderr: (text: string) => void (stderr += text), interactive: false, env: {}, now: Date.now };

    const code = await main(["--url", "http://registry.test", "push", file, "--model", "m", "--wait", "soon"], io, async (input, init) => {
      requests++;
      return neverVerifies(input, init);
    });

    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain("a duration such as 90s, 20m or 1h");
    expect(requests).toBe(0);
  });
});
