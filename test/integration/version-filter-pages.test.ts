import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../shared/domain/errors";
import type { VersionFilters } from "../../shared/store/registry-store";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const ci = roleCaller("training-ci", "req-filter-pages");
const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
const VERSIONS = 45;
/** The versions scoring high, far apart: most pages of a bounded read hold none of them. */
const HIGH = new Set([3, 21, 40]);
const highAuc: VersionFilters = { minMetrics: { auc: 0.9 }, maxMetrics: {}, tags: {} };

beforeAll(async () => {
  for (let version = 1; version <= VERSIONS; version++) {
    const auc = HIGH.has(version) ? 0.99 : 0.5;
    await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({ source: `s3://training/run-${version}/model.tar.gz`, metrics: { auc } }),
      ci,
    );
  }
}, 120_000);

/** Every page of the listing, following cursors to the end. */
async function walk(limit: number, maxExamined: number) {
  const pages: { versions: number[]; nextCursor?: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await registry.deps.store.listVersions(name, highAuc, { limit, cursor, maxExamined });
    pages.push({ versions: page.items.map((item) => item.version), nextCursor: page.nextCursor });
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe("listing versions by a metric filter with a bound on the versions each page reads", () => {
  it("returns every match, newest first, across cursors, for any page size and bound", async () => {
    const everyMatch = (await registry.deps.store.listVersions(name, highAuc, { limit: 100 })).items.map((item) => item.version);
    expect(everyMatch).toEqual([40, 21, 3]);

    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 }), async (limit, maxExamined) => {
        const pages = await walk(limit, maxExamined);
        expect(pages.flatMap((page) => page.versions)).toEqual(everyMatch);
        // Each page read at most the bound: walking the 45 versions takes at least 45 / bound pages.
        expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(VERSIONS / maxExamined));
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it("answers a page that found nothing within its bound with a cursor, never an empty last page hiding later matches", async () => {
    const pages = await walk(10, 10);

    expect(pages[0]).toEqual({ versions: [40], nextCursor: expect.any(String) }); // versions 45..36 read
    expect(pages[1]).toEqual({ versions: [], nextCursor: expect.any(String) }); // 35..26: no match, but more to read
    expect(pages.flatMap((page) => page.versions)).toEqual([40, 21, 3]);
  });

  it("refuses a cursor of this listing moved to another model's partition", async () => {
    const [first] = await walk(10, 10);
    const forged = JSON.parse(Buffer.from(first?.nextCursor ?? "", "base64url").toString("utf8")) as {
      s: string;
      k: Record<string, string>;
    };
    forged.k.pk = `MODEL#${uniqueModelName("other")}`;
    const cursor = Buffer.from(JSON.stringify(forged)).toString("base64url");

    await expect(registry.deps.store.listVersions(name, highAuc, { limit: 10, cursor, maxExamined: 10 })).rejects.toThrow(ValidationError);
  });
});
