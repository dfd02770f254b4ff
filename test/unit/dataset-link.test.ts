import { describe, expect, it } from "vitest";
import { linkDatasets, unlinkDatasets } from "../../shared/store/entities/dataset-link";

const version = {
  model: "fraud_detector",
  version: 4,
  lineage: { datasets: [{ id: "transactions", version: "2024-01" }, { id: "merchants" }, { id: "transactions", version: "2024-02" }] },
};

describe("a version's dataset links", () => {
  it("links each dataset once, with the version named first, and unlinks the same items", () => {
    const links = linkDatasets(version).map((write) => write.Put?.Item);
    const unlinks = unlinkDatasets(version).map((write) => write.Delete?.Key);

    expect(links).toMatchObject([
      { datasetId: "transactions", datasetVersion: "2024-01", model: "fraud_detector", version: 4 },
      { datasetId: "merchants", datasetVersion: undefined },
    ]);
    expect(unlinks).toEqual(links.map((item) => ({ pk: item?.pk, sk: item?.sk })));
  });
});
