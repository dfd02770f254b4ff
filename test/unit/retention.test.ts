import { describe, expect, it } from "vitest";
import { planRetention, type RetainedVersion, type RetentionRules } from "../../shared/domain/retention";

const NOW = new Date("2026-06-01T00:00:00.000Z");
const DAY_MS = 24 * 3_600_000;
const STATES = [
  ["Archived", "READY"],
  ["Archived", "READY"],
  ["Archived", "FAILED"],
  ["None", "READY"],
  ["None", "PENDING_UPLOAD"],
  ["None", "FAILED"],
  ["None", "VERIFYING"],
  ["Staging", "READY"],
  ["Production", "READY"],
] as const;

/** A small deterministic generator (mulberry32), so a failing model can be replayed from its round. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function randomModel(next: () => number) {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const count = 1 + Math.floor(next() * 30);
  const versions: RetainedVersion[] = Array.from({ length: count }, (_, i) => {
    const [stage, status] = pick(STATES);
    const parents = i > 0 && next() < 0.3 ? [1 + Math.floor(next() * i)] : [];
    return {
      version: i + 1,
      stage,
      status,
      protected: next() < 0.1,
      updatedAt: new Date(NOW.getTime() - next() * 120 * DAY_MS).toISOString(),
      lineage: { parentVersions: parents },
    };
  });
  const aliases: Record<string, number> = next() < 0.5 ? { champion: 1 + Math.floor(next() * count) } : {};
  const rules: RetentionRules = {
    keepArchived: next() < 0.7 ? Math.floor(next() * 5) : undefined,
    deleteArchivedAfterDays: next() < 0.5 ? Math.floor(next() * 90) : undefined,
    abandonedUploadsAfterHours: next() < 0.5 ? Math.floor(next() * 72) : undefined,
  };
  return { versions, aliases, rules };
}

describe("a retention plan", () => {
  it("holds while its deletions are made one by one, highest first, and nothing is due after them (500 random models)", () => {
    const next = random(20_260_601);
    for (let round = 0; round < 500; round++) {
      const { versions, aliases, rules } = randomModel(next);
      const plan = planRetention(rules, versions, aliases, NOW);

      let remaining = versions;
      for (const deletion of plan.deletions) {
        const again = planRetention(rules, remaining, aliases, NOW);
        expect(again.deletions[0], `round ${round}`).toEqual(deletion);
        remaining = remaining.filter((v) => v.version !== deletion.version);
      }
      expect(planRetention(rules, remaining, aliases, NOW).deletions, `round ${round}`).toEqual([]);
    }
  });

  it("never names a version in Staging or Production, a READY one in None, one being verified, a protected or aliased one, or a parent of one that stays", () => {
    const next = random(7);
    for (let round = 0; round < 500; round++) {
      const { versions, aliases, rules } = randomModel(next);
      const deleted = new Set(planRetention(rules, versions, aliases, NOW).deletions.map((d) => d.version));
      const staying = versions.filter((v) => !deleted.has(v.version));
      for (const version of versions.filter((v) => deleted.has(v.version))) {
        expect(version.stage === "Archived" || (version.stage === "None" && ["PENDING_UPLOAD", "FAILED"].includes(version.status))).toBe(
          true,
        );
        expect(version.protected).toBe(false);
        expect(Object.values(aliases)).not.toContain(version.version);
        expect(staying.filter((v) => v.lineage.parentVersions.includes(version.version))).toEqual([]);
      }
    }
  });

  it("keeps the newest N Archived versions that stay, counting the spared ones, and names each rule", () => {
    const archived = (version: number, days: number, extra: Partial<RetainedVersion> = {}): RetainedVersion => ({
      version,
      stage: "Archived",
      status: "READY",
      updatedAt: new Date(NOW.getTime() - days * DAY_MS).toISOString(),
      lineage: { parentVersions: [] },
      ...extra,
    });
    const versions = [archived(1, 1), archived(2, 1, { protected: true }), archived(3, 40), archived(4, 1), archived(5, 1)];

    const plan = planRetention({ keepArchived: 2, deleteArchivedAfterDays: 30 }, versions, {}, NOW);

    expect(plan).toEqual({
      deletions: [
        { version: 3, reason: "retention: deleteArchivedAfterDays 30" },
        { version: 1, reason: "retention: keepArchived 2" },
      ],
      spared: [{ version: 2, reason: "retention: keepArchived 2", because: "protected" }],
    });
  });
});
