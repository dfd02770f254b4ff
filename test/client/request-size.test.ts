import { describe, expect, it } from "vitest";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../../client/errors";
import { pushDirectory } from "../../client/push-directory";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { useTempFiles } from "../support/temp-files";

/** Requests too large for one Lambda invocation (6 MB) are refused by the SDK before anything is sent (docs/client.md). */

const scratch = useTempFiles("registry-request-size-");
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** A registry that answers every request with version 1 of fraud_detector, recording each. */
function recordingRegistry() {
  const requests: string[] = [];
  const fetch: Fetch = async (input, init) => {
    requests.push(`${init?.method} ${new URL(String(input)).pathname}`);
    return new Response(JSON.stringify({ model: "fraud_detector", version: 1 }), { headers: { "content-type": "application/json" } });
  };
  const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch });
  return { client, requests };
}

/** 10,000 files, each path `pathBytes` long. */
const manifest = (pathBytes: number, extra: { contentType?: string } = {}) =>
  Array.from({ length: 10_000 }, (_, i) => ({
    path: `weights/${i}`.padEnd(pathBytes, "x"),
    sizeBytes: 123_456_789,
    sha256: EMPTY_SHA256,
    ...extra,
  }));

describe("requests over Lambda's invocation payload", () => {
  it("refuses a registration of 10,000 files at 450-byte paths with content types (6.15 MB in the event), sending nothing", async () => {
    const { client, requests } = recordingRegistry();

    const registering = client.registerVersion({
      name: "fraud_detector",
      body: { files: manifest(450, { contentType: "application/octet-stream" }) },
    });

    await expect(registering).rejects.toBeInstanceOf(UsageError);
    await expect(registering).rejects.toThrow(
      /registerVersion request's body takes 61\d{5} bytes in the Lambda event, over the 5983616 bytes .*nothing was sent.*fewer files per version/,
    );
    expect(requests).toEqual([]);
  });

  it("sends a registration of 10,000 files at 450-byte paths (5.7 MB in the event)", async () => {
    const { client, requests } = recordingRegistry();

    await client.registerVersion({ name: "fraud_detector", body: { files: manifest(450) } });

    expect(requests).toEqual(["POST /models/fraud_detector/versions"]);
  });

  it("refuses a directory whose manifest is too large (5,400 files at 1,008-byte paths) before reading a file or sending anything", async () => {
    const root = join(scratch.dir(), "deep");
    const nested = join(root, "a".repeat(250), "b".repeat(250), "c".repeat(250));
    await mkdir(nested, { recursive: true });
    await Promise.all(Array.from({ length: 5_400 }, (_, i) => writeFile(join(nested, `${i}`.padEnd(255, "f")), "")));
    const { client, requests } = recordingRegistry();

    const phases: string[] = [];

    const pushing = pushDirectory(client, {
      directory: root,
      model: "fraud_detector",
      journalDirectory: scratch.dir(),
      onProgress: ({ phase }) => phases.push(phase),
    });

    await expect(pushing).rejects.toThrow(/takes 6048015 bytes in the Lambda event, over the 5983616 bytes a request may carry/);
    expect(phases).toEqual([]);
    expect(requests).toEqual([]);
  });
});
