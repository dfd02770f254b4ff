import { describe, expect, it } from "vitest";
import { MAX_FILES_PER_VERSION, manifestPathProblems, pathRuleBroken } from "../../shared/domain/file-paths";
import { registerVersionBody } from "../../shared/schemas/version";
import { parseOrThrow } from "../../shared/http/validation";
import { ValidationError } from "../../shared/domain/errors";

const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const file = (path: string) => ({ path, sizeBytes: 10, sha256: digest });

/** The 400 a registration with these paths gets: its message and field details. */
function refusal(paths: readonly string[]): ValidationError {
  try {
    parseOrThrow(registerVersionBody, { files: paths.map(file) }, "body");
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`the manifest ${JSON.stringify(paths)} was accepted`);
}

describe("file paths of a multi-file version", () => {
  it("accepts relative, '/'-separated paths, dots inside names and non-ASCII NFC text", () => {
    expect(manifestPathProblems(["model.safetensors", "tokenizer/vocab.json", ".hidden/config", "a..b/c.d", "données/été.txt"])).toEqual(
      [],
    );
  });

  it.each([
    ["../x", "no '..' segments"],
    ["a/../b", "no '..' segments"],
    ["a//b", "no empty segments"],
    ["a/", "no empty segments"],
    ["/abs", "no leading '/'"],
    ["./a", "no '.' segments"],
    ["a\\b", "never '\\'"],
    ["a\u0000b", "no control characters"],
    ["a\nb", "no control characters"],
    ["cafe\u0301.txt", "NFC-normalised"],
    ["", "not empty"],
    [`${"é".repeat(512)}x`, "at most 1024 bytes"],
  ])("refuses %j: %s", (path, rule) => {
    expect(pathRuleBroken(path)).toContain(rule);
  });

  it("counts the 1,024-byte limit in UTF-8 bytes, not characters", () => {
    const segments = (...names: string[]) => names.join("/");
    expect(pathRuleBroken(segments(...Array(5).fill("a".repeat(204))))).toBeUndefined();
    expect(pathRuleBroken(segments(...Array(4).fill("a".repeat(204)), "a".repeat(205)))).toContain("at most 1024 bytes");
    expect(pathRuleBroken(segments(...Array(4).fill("é".repeat(127)), "éé"))).toBeUndefined();
  });

  it("refuses a file or directory name of more than 255 bytes of UTF-8, which no file system holds", () => {
    expect(pathRuleBroken(`weights/${"a".repeat(255)}`)).toBeUndefined();
    expect(pathRuleBroken(`weights/${"é".repeat(127)}a`)).toBeUndefined();
    expect(pathRuleBroken(`weights/${"é".repeat(128)}`)).toContain("each name in a path is at most 255 bytes of UTF-8");
    expect(pathRuleBroken(`${"a".repeat(256)}/x.bin`)).toContain("each name in a path is at most 255 bytes of UTF-8");
  });

  it("refuses a path that names the same file as an earlier one ignoring case, naming both", () => {
    expect(manifestPathProblems(["A.bin", "b.bin", "a.bin"])).toEqual([
      { index: 2, path: "a.bin", rule: "paths are unique ignoring case: file 0 is 'A.bin'" },
    ]);
  });

  it.each([
    ["ασ.bin", "ας.bin", "final and medial sigma"],
    ["fine.txt", "\ufb01ne.txt", "fi and its ligature"],
  ])("refuses %j beside %j, one file where names are compared case-insensitively (%s)", (first, second) => {
    expect(manifestPathProblems([first, second])).toEqual([
      { index: 1, path: second, rule: `paths are unique ignoring case: file 0 is '${first}'` },
    ]);
  });

  it.each([
    [["model", "model/weights.bin"], 1, "model"],
    [["model/weights.bin", "model"], 1, "model/weights.bin"],
    [["Model", "b.bin", "model/weights.bin"], 2, "Model"],
    [["a/b/c.bin", "x", "a/b"], 2, "a/b/c.bin"],
  ])("refuses %j: file %i and '%s' would be a file and a directory of one name, which no file system holds", (paths, index, other) => {
    expect(manifestPathProblems(paths)).toEqual([
      { index, path: paths[index], rule: `a path is not both a file and a directory: file ${paths.indexOf(other)} is '${other}'` },
    ]);
  });

  it("accepts paths that only share the start of a name with a file: 'model' beside 'model.bin' and 'model-v2/x'", () => {
    expect(manifestPathProblems(["model", "model.bin", "model-v2/x", "model!/y", "mode/l"])).toEqual([]);
  });

  it.each([
    [["ok.bin", "../x"], 1, "../x", "no '..' segments"],
    [["a//b"], 0, "a//b", "no empty segments"],
    [["/abs"], 0, "/abs", "no leading '/'"],
    [["A.bin", "a.bin"], 1, "a.bin", "unique ignoring case"],
    [["ok", "nul\u0000.bin"], 1, "nul\u0000.bin", "no control characters"],
    [["x".repeat(1025)], 0, "x".repeat(1025), "at most 1024 bytes"],
  ])("answers %j with a 400 naming file %i and the rule", (paths, index, path, rule) => {
    const error = refusal(paths);
    expect(error.details).toEqual([{ path: `body.files.${index}.path`, message: expect.stringContaining(rule) }]);
    expect(error.message).toContain(`file ${index} ('${path}')`);
  });

  it("takes 1 to 10,000 files", () => {
    expect(refusal([]).message).toContain("at least one file");
    const many = Array.from({ length: MAX_FILES_PER_VERSION + 1 }, (_, i) => `f${i}`);
    expect(refusal(many).message).toContain("at most 10000 files");
    expect(registerVersionBody.safeParse({ files: many.slice(1).map(file) }).success).toBe(true);
  });

  it("is the alternative to artifact and source: exactly one of the three", () => {
    const artifact = { filename: "m.bin", sizeBytes: 1, sha256: digest };
    expect(registerVersionBody.safeParse({ files: [file("a")], artifact }).success).toBe(false);
    expect(registerVersionBody.safeParse({ files: [file("a")], source: "s3://b/k" }).success).toBe(false);
  });
});
