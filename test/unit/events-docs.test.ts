import { readFileSync } from "node:fs";
import * as z from "../../shared/zod";
import { describe, expect, it } from "vitest";
import { parsePattern } from "../../infra/local/event-pattern";
import { EVENT_DOCS } from "../../shared/events/event-docs";
import { DETAIL_TYPES, EVENT_SOURCE, modelEventDetail } from "../../shared/events/model-events";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const schema = JSON.parse(read("docs/events.schema.json")) as {
  properties: Record<string, Record<string, unknown>>;
  $defs: { detail: unknown };
};
const jsonBlocks = [...read("docs/events.md").matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => JSON.parse(match[1] ?? "null") as unknown,
);

describe("the documented event schema", () => {
  it("has the detail schema the publisher validates history items with", () => {
    const { $schema: _dialect, ...generated } = z.toJSONSchema(modelEventDetail, { metadata: EVENT_DOCS }) as Record<string, unknown>;

    expect(schema.$defs.detail).toEqual(generated);
  });

  it("lists exactly the published detail types and the registry's source", () => {
    expect(schema.properties["detail-type"]).toEqual({ enum: Object.values(DETAIL_TYPES) });
    expect(schema.properties.source).toEqual({ const: EVENT_SOURCE });
  });
});

describe("docs/events.md", () => {
  const objects = jsonBlocks.filter(
    (block): block is Record<string, unknown> => typeof block === "object" && block !== null && !Array.isArray(block),
  );
  const samples = objects.filter((block) => typeof block["detail-type"] === "string");

  it("shows a sample of every detail type, each a valid detail", () => {
    expect(samples.map((sample) => sample["detail-type"]).sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    for (const sample of samples)
      expect(() => z.catchall(modelEventDetail, z.never()).parse(sample.detail), String(sample["detail-type"])).not.toThrow();
  });

  it("shows rules the local bus accepts", () => {
    const patterns = objects.filter((block) => Array.isArray(block["detail-type"]));
    const rulesFile = jsonBlocks.find(Array.isArray) as { eventPattern: unknown }[];

    expect(patterns).toHaveLength(1);
    expect(() => patterns.map(parsePattern)).not.toThrow();
    expect(rulesFile.map((rule) => parsePattern(rule.eventPattern))).toHaveLength(1);
  });
});
