import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EXIT } from "../../client/cli";
import { cliRunner } from "../support/cli-runner";
import { useLocalRegistry } from "../support/local-registry";
import { uniqueModelName } from "../support/registry";
import { useTempFiles } from "../support/temp-files";

/** `registry push <dir>` and `registry pull` of a multi-file version, and the approval and model-deletion commands, against `npm start`'s registry. */

const registry = useLocalRegistry("registry-client-dir-");
const scratch = useTempFiles("registry-client-dir-files-");

const cli = cliRunner(() => registry.url, scratch.dir);

/** A directory of files with random bytes: path → bytes. */
async function directory(name: string, files: Record<string, number>): Promise<{ root: string; bytes: Map<string, Buffer> }> {
  const root = join(scratch.dir(), name);
  const bytes = new Map<string, Buffer>();
  for (const [path, size] of Object.entries(files)) {
    const content = randomBytes(size);
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
    bytes.set(path, content);
  }
  return { root, bytes };
}

/** Every regular file under `root`, as paths relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe("registry push and pull of a directory", () => {
  it("pushes four files (nested ones, an empty one), pulls them byte for byte, and pushes again only the one that changed", async () => {
    const model = uniqueModelName("fraud_detector");
    const dir = await directory("fraud_model", {
      "model.safetensors": 300_000,
      "tokenizer/vocab.bin": 50_000,
      "config.json": 100,
      "code/__init__.py": 0,
    });

    const pushed = await cli("push", dir.root, "--model", model, "--bump", "minor", "--json");

    expect(pushed.code).toBe(EXIT.ok);
    expect(JSON.parse(pushed.stdout)).toMatchObject({
      filesUploaded: ["code/__init__.py", "config.json", "model.safetensors", "tokenizer/vocab.bin"],
      filesTotal: 4,
      version: { model, version: 1, semver: "0.1.0", status: "READY", files: { count: 4, deduplicated: 0 } },
    });
    expect(pushed.stderr).toContain("hashing…");

    const out = join(scratch.dir(), "pulled");
    const pulled = await cli("pull", `models:/${model}/1`, "-o", out, "--json");
    expect(pulled.code).toBe(EXIT.ok);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ model, version: 1, path: out, sizeBytes: 350_100 });
    expect(await filesUnder(out)).toEqual([...dir.bytes.keys()].sort());
    for (const [path, bytes] of dir.bytes) expect((await readFile(join(out, path))).equals(bytes)).toBe(true);

    const changed = randomBytes(120);
    await writeFile(join(dir.root, "config.json"), changed);
    const again = await cli("push", dir.root, "--model", model, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({
      filesUploaded: ["config.json"],
      version: { version: 2, status: "READY", files: { count: 4, deduplicated: 3 } },
    });

    const one = join(scratch.dir(), "one");
    const single = await cli("pull", `models:/${model}@latest/config.json`, "-o", `${one}/`);
    expect(single.code).toBe(EXIT.ok);
    expect(single.stdout).toContain("(verified)");
    expect(await filesUnder(one)).toEqual(["config.json"]);
    expect((await readFile(join(one, "config.json"))).equals(changed)).toBe(true);
  }, 60_000);

  it("pushes a directory of 200 small files through the paged upload plan, and pulls every one back", async () => {
    const model = uniqueModelName("sharded");
    const dir = await directory(
      "shards",
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`shard-${String(i).padStart(3, "0")}.bin`, 100 + i])),
    );

    const pushed = await cli("push", dir.root, "--model", model, "--json");

    expect(pushed.code).toBe(EXIT.ok);
    const answer = JSON.parse(pushed.stdout);
    expect(answer).toMatchObject({ filesTotal: 200, version: { status: "READY", files: { count: 200, deduplicated: 0 } } });
    expect(answer.filesUploaded).toHaveLength(200);
    const out = join(scratch.dir(), "pulled-shards");
    expect((await cli("pull", `models:/${model}/1`, "-o", out, "--json")).code).toBe(EXIT.ok);
    expect(await filesUnder(out)).toEqual([...dir.bytes.keys()].sort());
    for (const [path, bytes] of dir.bytes) expect((await readFile(join(out, path))).equals(bytes)).toBe(true);
  }, 120_000);

  it("answers 404 ArtifactNotFound naming the file a URI names when the version does not hold it", async () => {
    const model = uniqueModelName("fraud_detector");
    const dir = await directory("small_model", { "weights.bin": 1000 });
    expect((await cli("push", dir.root, "--model", model)).code).toBe(EXIT.ok);

    const missing = await cli("pull", `models:/${model}/1/tokenizer.json`, "-o", `${join(scratch.dir(), "missing")}/`);

    expect(missing.code).toBe(EXIT.refused);
    expect(missing.stderr).toContain("ArtifactNotFound");
    expect(missing.stderr).toContain("'tokenizer.json'");
  }, 30_000);

  it("skips a link out of the directory, saying so, and pushes a link to a file inside it", async () => {
    const model = uniqueModelName("fraud_detector");
    const dir = await directory("linked_model", { "weights.bin": 1000 });
    const outside = join(scratch.dir(), "secret.txt");
    await writeFile(outside, "not part of the model");
    await symlink(outside, join(dir.root, "secret.txt"));
    await symlink(join(dir.root, "weights.bin"), join(dir.root, "weights-link.bin"));

    const pushed = await cli("push", dir.root, "--model", model, "--json");

    expect(pushed.code).toBe(EXIT.ok);
    expect(pushed.stderr).toContain("Skipping secret.txt: a link that points out of the directory.");
    // Two files with the same bytes: the first in path order carries them.
    expect(JSON.parse(pushed.stdout)).toMatchObject({
      filesTotal: 2,
      filesUploaded: ["weights-link.bin"],
      version: { files: { count: 2 } },
    });
  }, 30_000);

  it("refuses a directory with a file the registry would refuse, naming it and the rule, before any request", async () => {
    const dir = await directory("bad_model", { "weights.bin": 1000 });
    await writeFile(join(dir.root, "back\\slash.bin"), "x");

    const refused = await cli("push", dir.root, "--model", uniqueModelName("fraud_detector"));

    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain("'back\\slash.bin': segments are separated by '/'");
  });
});

describe("registry approve, approvals and delete-model", () => {
  it("records an approval, lists it, and deletes the model", async () => {
    const model = uniqueModelName("fraud_detector");
    const dir = await directory("approved_model", { "weights.bin": 1000 });
    expect((await cli("push", dir.root, "--model", model)).code).toBe(EXIT.ok);

    const approved = await cli("approve", model, "1", "--stage", "Production", "--comment", "risk review passed");
    const listed = await cli("approvals", model, "1", "--json");
    const deleted = await cli("delete-model", model, "--json");

    expect(approved.stdout).toMatch(new RegExp(`^${model} version 1: approve for Production by .+ \\("risk review passed"\\)\\n$`));
    expect(JSON.parse(listed.stdout)).toMatchObject({ items: [{ model, version: 1, stage: "Production", decision: "approve" }] });
    expect(JSON.parse(deleted.stdout)).toMatchObject({ model, deleted: true, versionsDeleted: 1 });
  }, 30_000);
});
