import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { downloadFile, pull } from "../../client/download";
import { IntegrityError, UsageError } from "../../client/errors";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { useTempFiles } from "../support/temp-files";

/** `pull` of a multi-file version whose manifest a registry (here a stub) answers with paths that would escape the output directory. */

const scratch = useTempFiles("registry-pull-directory-");

/** A registry answering the resolution and one manifest page with these paths, each file holding `bytes`; it records every request. */
function stubRegistry(paths: string[], bytes = Buffer.from("x")): { fetch: Fetch; requested: string[] } {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const requested: string[] = [];
  const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  const fetch: Fetch = async (input) => {
    const url = new URL(String(input));
    requested.push(url.href);
    if (url.pathname === "/resolve") return json({ model: "fraud_detector", version: 3, uri: "models:/fraud_detector/3" });
    if (url.pathname === "/models/fraud_detector/versions/3/artifact")
      return json({
        files: paths.map((path) => ({ path, sizeBytes: bytes.length, sha256, contentType: "text/plain", url: "http://s3.invalid/x" })),
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      });
    if (url.href === "http://s3.invalid/x") return new Response(bytes);
    return new Response("unexpected", { status: 500 });
  };
  return { fetch, requested };
}

describe("pull of a multi-file version", () => {
  it.each([["../x"], ["/etc/passwd"], ["a/../../x"], ["a\\..\\x"]])(
    "refuses the manifest path %s before writing or downloading anything",
    async (escaping) => {
      const output = join(scratch.dir(), `out-${encodeURIComponent(escaping)}`);
      const stub = stubRegistry(["model.bin", escaping]);
      const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

      const pulling = pull(client, { uri: "models:/fraud_detector/3", output });

      await expect(pulling).rejects.toBeInstanceOf(IntegrityError);
      await expect(pulling).rejects.toThrow(`'${escaping}', which is no path to write under ${output}`);
      expect(stub.requested).not.toContain("http://s3.invalid/x");
      expect(await readdir(output)).toEqual([]);
      expect(await readdir(scratch.dir())).not.toContain("x");
    },
  );

  it.each([
    [["tokenizer/Vocab.json", "tokenizer/vocab.json"], "paths are unique ignoring case"],
    [["model.bin", "model.bin"], "paths are unique ignoring case"],
    [["weights/shard-1.bin", "weights"], "a path is not both a file and a directory"],
  ])("refuses the manifest %j, whose files would land on one another, before downloading anything", async (paths, rule) => {
    const output = join(scratch.dir(), `out-${encodeURIComponent(paths.join(","))}`);
    const stub = stubRegistry(paths);
    const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

    const pulling = pull(client, { uri: "models:/fraud_detector/3", output });

    await expect(pulling).rejects.toBeInstanceOf(IntegrityError);
    await expect(pulling).rejects.toThrow(rule);
    expect(stub.requested).not.toContain("http://s3.invalid/x");
    expect(await readdir(output)).toEqual([]);
  });

  it.each([[1.5], [-1], [1e18]])(
    "refuses a file the registry says takes %d bytes, no size a file has, writing nothing",
    async (sizeBytes) => {
      const output = join(scratch.dir(), `out-size-${sizeBytes}`);
      await mkdir(output);
      const stub = stubRegistry(["model.bin"]);
      const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });
      const remote = { url: "http://s3.invalid/x", sizeBytes, sha256: "0".repeat(64) };

      const downloading = downloadFile(client, join(output, "model.bin"), remote, async () => remote, { onBytes: () => {} });

      await expect(downloading).rejects.toThrow(
        `The registry answered a size of ${sizeBytes} bytes for model.bin: no file has it; nothing was written.`,
      );
      expect(await readdir(output)).toEqual([]);
    },
  );

  it("refuses an output directory holding a directory where the version has a file, or a file where it has a directory, before downloading anything", async () => {
    const output = join(scratch.dir(), "out-in-the-way");
    await mkdir(join(output, "model.bin"), { recursive: true });
    await mkdir(join(output, "weights"));
    await writeFile(join(output, "weights", "shards"), "an older file");
    await writeFile(join(output, "tokenizer"), "an older file");
    const stub = stubRegistry(["config.json", "model.bin", "tokenizer/vocab.json", "weights/shards/1.bin", "weights/shards/2.bin"]);
    const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

    const pulling = pull(client, { uri: "models:/fraud_detector/3", output });

    await expect(pulling).rejects.toBeInstanceOf(UsageError);
    await expect(pulling).rejects.toThrow(
      `${output} holds entries in the way of the version's files; move or remove them, or pull into another directory:\n` +
        "  'model.bin': a directory, where the version has a file\n" +
        "  'tokenizer': a file, where the version has a directory (tokenizer/vocab.json)\n" +
        "  'weights/shards': a file, where the version has a directory (weights/shards/1.bin)\n" +
        "Nothing was written.",
    );
    expect(stub.requested).not.toContain("http://s3.invalid/x");
    expect((await readdir(output)).sort()).toEqual(["model.bin", "tokenizer", "weights"]);
  });

  it("refuses an output that is a file, saying a multi-file version is pulled into a directory, before downloading anything", async () => {
    const output = join(scratch.dir(), "out-a-file");
    await writeFile(output, "an older file");
    const stub = stubRegistry(["model.bin", "config.json"]);
    const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

    const pulling = pull(client, { uri: "models:/fraud_detector/3", output });

    await expect(pulling).rejects.toBeInstanceOf(UsageError);
    await expect(pulling).rejects.toThrow(
      `${output} is a file, and version 3 of fraud_detector holds several files, pulled into a directory: name a directory to pull them into.`,
    );
    expect(stub.requested).not.toContain("http://s3.invalid/x");
    expect(await readFile(output, "utf8")).toBe("an older file");
  });

  it("refuses a path through a link in the output directory that points out of it", async () => {
    const output = join(scratch.dir(), "out-linked");
    const elsewhere = join(scratch.dir(), "elsewhere");
    await mkdir(output);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(output, "tokenizer"));
    const stub = stubRegistry(["tokenizer/deep/vocab.json"]);
    const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

    await expect(pull(client, { uri: "models:/fraud_detector/3", output })).rejects.toThrow(
      "'tokenizer/deep/vocab.json' goes through a symbolic link out of",
    );
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it.each([
    [["current/model.bin", "v2/model.bin"], "'current/model.bin' and 'v2/model.bin'", "v2/model.bin"],
    [["current/model", "v2/model/weights.bin"], "'current/model' and 'v2/model/weights.bin'", "v2/model"],
  ])(
    "refuses %j, which a link inside the output directory makes land on one file, before downloading anything",
    async (paths, both, landing) => {
      const output = join(scratch.dir(), `out-aliased-${encodeURIComponent(paths.join(","))}`);
      await mkdir(join(output, "v2"), { recursive: true });
      await symlink("v2", join(output, "current"));
      const stub = stubRegistry(paths);
      const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

      const pulling = pull(client, { uri: "models:/fraud_detector/3", output });

      await expect(pulling).rejects.toBeInstanceOf(UsageError);
      await expect(pulling).rejects.toThrow(`${both} would both land on ${join(output, landing)} through a symbolic link in ${output}`);
      expect(stub.requested).not.toContain("http://s3.invalid/x");
      expect(await readdir(join(output, "v2"))).toEqual([]);
    },
  );

  it("writes a file whose name takes 254 of the 255 bytes a file system allows: its temporary name fits too", async () => {
    const output = join(scratch.dir(), "out-long-name");
    const name = `${"é".repeat(126)}.b`;
    const bytes = Buffer.from("weights");
    const stub = stubRegistry([`weights/${name}`], bytes);
    const client = createRegistryClient({ url: "http://registry.invalid", auth: { type: "none" }, fetch: stub.fetch });

    await pull(client, { uri: "models:/fraud_detector/3", output });

    expect(Buffer.byteLength(name)).toBe(254);
    expect(await readFile(join(output, "weights", name))).toEqual(bytes);
  });
});
