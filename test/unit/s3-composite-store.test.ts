import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CompositeFilesystemStore } from "../../infra/local/s3-composite-store";

/** The local S3's store on its own (infra/local/s3-composite-store.ts): what it reads from disk for each request. */

const require = createRequire(import.meta.url);
const S3Object = require("s3rver/lib/models/object") as new (
  bucket: string,
  key: string,
  content: Buffer,
  metadata: object,
) => Parameters<CompositeFilesystemStore["putObject"]>[0];
const S3CorsConfiguration = require("s3rver/lib/models/config").S3CorsConfiguration as new (xml: string) => { type: string };

const BUCKET = "store-reads";
const CORS_XML =
  "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
let dataDir: string;
let store: CompositeFilesystemStore;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-store-reads-"));
  store = new CompositeFilesystemStore(dataDir);
  await mkdir(join(dataDir, BUCKET));
});

afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** The files under the store's directory this process holds open: other files the test runner opens meanwhile do not count. */
async function openStoreFiles(): Promise<string[]> {
  const targets = await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(join("/proc/self/fd", fd)).catch(() => "")));
  return targets.filter((target) => target.startsWith(dataDir));
}

describe("CompositeFilesystemStore", () => {
  it.runIf(process.platform === "linux")(
    "opens a plain object's file only once its body is read: a HEAD, which destroys the body unread, opens nothing",
    async () => {
      const bytes = Buffer.from("weights");
      await store.putObject(new S3Object(BUCKET, "models/a.bin", bytes, { "content-type": "application/octet-stream" }));

      const head = await store.getObject(BUCKET, "models/a.bin");
      const opened = await openStoreFiles();
      (head?.content as Readable | undefined)?.destroy();
      const got = await store.getObject(BUCKET, "models/a.bin", { start: 1 });

      expect(opened).toEqual([]);
      expect(head?.metadata).toMatchObject({ "content-length": 7 });
      expect(Buffer.concat(await ((got?.content as Readable | undefined)?.toArray() ?? []))).toEqual(bytes.subarray(1));
    },
  );

  it("reads a bucket's configuration from disk once, until a PUT or DELETE of it changes it", async () => {
    const corsFile = store.getResourcePath(BUCKET, undefined, "cors.xml");
    expect(await store.getSubresource(BUCKET, undefined, "cors")).toBeNull();

    // Written behind the store's back: s3rver's own store would read it on the next request.
    await writeFile(corsFile, CORS_XML);
    const cached = await store.getSubresource(BUCKET, undefined, "cors");
    await store.putSubresource(BUCKET, undefined, new S3CorsConfiguration(CORS_XML));
    const afterPut = await store.getSubresource(BUCKET, undefined, "cors");
    await store.deleteSubresource(BUCKET, undefined, "cors");

    expect(cached).toBeNull();
    expect(afterPut).toMatchObject({ type: "cors" });
    expect(await store.getSubresource(BUCKET, undefined, "cors")).toBeNull();
  });
});
