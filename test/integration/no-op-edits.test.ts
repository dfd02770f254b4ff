import { describe, expect, it } from "vitest";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";
import { registerVersionBody } from "../../shared/schemas/version";
import { createModel } from "../../shared/use-cases/create-model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { updateModel } from "../../shared/use-cases/update-model";
import { updateVersion } from "../../shared/use-cases/update-version";
import { editModelVersionTag, editRegisteredModelTag, updateModelVersion } from "../../shared/mlflow/registry";

const admin = roleCaller("ops-admin", "req-no-op");
const registry = useTestRegistry();

/**
 * A model declaring key metric `auc`, with versions 1 and 2 (READY, from a source); all carry tags { team, owner } and a
 * description; version 1 is protected, version 2 never was.
 */
async function editedModel() {
  const name = uniqueModelName();
  await createModel(registry.deps, { name, description: "churn", tags: { team: "risk", owner: "ana" } }, admin);
  const source = registerVersionBody.parse({
    source: `s3://training/${name}/model.bin`,
    description: "first",
    tags: { team: "risk", owner: "ana" },
  });
  await registerVersion(registry.deps, name, source, admin);
  await updateVersion(registry.deps, name, { number: 1 }, { protected: true }, admin);
  await registerVersion(registry.deps, name, source, admin);
  await updateModel(registry.deps, name, { keyMetrics: [{ name: "auc", direction: "max" }] }, admin);
  return name;
}

describe("an edit whose result equals the stored state", () => {
  it.each([
    [
      "protection to the value the version has",
      (name: string) => updateVersion(registry.deps, name, { number: 1 }, { protected: true }, admin),
    ],
    [
      "lifting protection a version never had",
      (name: string) => updateVersion(registry.deps, name, { number: 2 }, { protected: false }, admin),
    ],
    [
      "a version's tags in another key order",
      (name: string) => updateVersion(registry.deps, name, { number: 1 }, { tags: { owner: "ana", team: "risk" } }, admin),
    ],
    [
      "a version's description as it is",
      (name: string) => updateVersion(registry.deps, name, { number: 1 }, { description: "first" }, admin),
    ],
    [
      "a model's tags in another key order",
      (name: string) => updateModel(registry.deps, name, { tags: { owner: "ana", team: "risk" } }, admin),
    ],
    [
      "a model's key metrics as declared, in another key order",
      (name: string) => updateModel(registry.deps, name, { keyMetrics: [{ direction: "max", name: "auc" }] }, admin),
    ],
    ["a model's description as it is", (name: string) => updateModel(registry.deps, name, { description: "churn" }, admin)],
    [
      "MLflow's version tag to the value it has",
      (name: string) => editModelVersionTag(registry.deps, { name, version: 1, key: "team", value: "risk" }, admin),
    ],
    [
      "MLflow's model tag to the value it has",
      (name: string) => editRegisteredModelTag(registry.deps, { name, key: "owner", value: "ana" }, admin),
    ],
    [
      "MLflow's version description as it is",
      (name: string) => updateModelVersion(registry.deps, { name, version: 1, description: "first" }, admin),
    ],
  ])("writes nothing: %s", async (_, edit) => {
    const name = await editedModel();
    const before = await registry.items();

    await edit(name);

    expect(await registry.items()).toEqual(before);
  });

  it("answers the current view", async () => {
    const name = await editedModel();

    const version = await updateVersion(
      registry.deps,
      name,
      { number: 1 },
      { protected: true, tags: { owner: "ana", team: "risk" } },
      admin,
    );
    const model = await updateModel(registry.deps, name, { tags: { owner: "ana", team: "risk" } }, admin);

    expect(version).toMatchObject({ version: 1, protected: true, tags: { team: "risk", owner: "ana" }, description: "first" });
    expect(model).toMatchObject({ name, description: "churn", tags: { team: "risk", owner: "ana" } });
  });
});
