import { describe, expect, it, vi } from "vitest";
import * as z from "../../shared/zod";
import { UnreadableItemError, itemBase, itemReader } from "../../shared/store/item-reader";

const item = { pk: "MODEL#fraud_detector", sk: "ALIAS#champion", entity: "alias", schemaVersion: 1, version: 3 };

describe("a stored item's reader", () => {
  it("builds its entity's schema on the first item it reads, and only once", () => {
    const schemaOf = vi.fn(() => z.looseObject({ ...itemBase("alias", 1), version: z.int() }));
    const read = itemReader("alias", 1, schemaOf);

    expect(schemaOf).not.toHaveBeenCalled();
    expect(read(item)).toEqual(item);
    expect(read({ ...item, version: 4 })).toEqual({ ...item, version: 4 });
    expect(schemaOf).toHaveBeenCalledTimes(1);
  });

  it("refuses an item whose attributes are not as its entity writes them, naming the attribute", () => {
    const read = itemReader("alias", 1, () => z.looseObject({ ...itemBase("alias", 1), version: z.int() }));

    expect(() => read({ ...item, version: "three" })).toThrow(UnreadableItemError);
    expect(() => read({ ...item, version: "three" })).toThrow(
      /MODEL#fraud_detector\/ALIAS#champion is not a readable alias item: version:/,
    );
  });
});
