import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import * as z from "../../shared/zod";

describe("a schema built on first use", () => {
  it("is built on its first parse, not when declared, and only once", () => {
    const build = vi.fn(() => z.string().check(z.minLength(2)));
    const schema = z.onFirstUse(build);

    expect(build).not.toHaveBeenCalled();
    expect(z.safeParse(schema, "ab").success).toBe(true);
    expect(z.safeParse(schema, "a").success).toBe(false);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("fails with the messages of the schema it builds", () => {
    const declared = () => z.strictObject({ name: z.string().check(z.minLength(3, "a name has at least 3 characters")) });
    const input = { name: "ab", extra: 1 };

    expect(z.safeParse(z.onFirstUse(declared), input).error?.issues).toEqual(z.safeParse(declared(), input).error?.issues);
  });

  it("hands z.built the schema it built, to extend it", () => {
    const base = z.onFirstUse(() => z.object({ name: z.string() }));

    const extended = z.extend(z.built(base), { version: z.int() });

    expect(z.built(base)).toBe(z.built(base));
    expect(Object.keys(extended.shape)).toEqual(["name", "version"]);
  });
});

describe("the module-level schemas", () => {
  it("are each declared by a call marked pure, so a function's bundle leaves out those its code never uses", async () => {
    const modules = (await readdir("shared", { recursive: true })).filter((file) => file.endsWith(".ts"));
    const unmarked: string[] = [];
    for (const module of modules) {
      const source = await readFile(join("shared", module), "utf8");
      const calls = source.match(/\bz\.onFirstUse\(/g)?.length ?? 0;
      const marked = source.match(/\/\* @__PURE__ \*\/ z\.onFirstUse\(/g)?.length ?? 0;
      if (calls !== marked) unmarked.push(`${module}: ${calls - marked} of ${calls}`);
    }

    expect(unmarked).toEqual([]);
  });
});
