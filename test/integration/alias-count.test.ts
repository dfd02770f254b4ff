import { beforeAll, describe, expect, it } from "vitest";
import { registerVersionBody } from "../../shared/schemas/version";
import { modelKey } from "../../shared/store/entities/model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { MAX_ALIASES_PER_MODEL, setAlias } from "../../shared/use-cases/set-alias";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const admin = roleCaller("admin", "req-alias-count");
const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
/** Alias names of the longest spelling: the model item keeps each in its alias map. */
const longAlias = (i: number) => `a${String(i).padStart(62, "0")}`;

beforeAll(async () => {
  await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://training/model.tar.gz" }), admin);
  // A model that has gathered as many aliases as it may hold, set long ago (staged, not set one by one).
  const aliases = Object.fromEntries(Array.from({ length: MAX_ALIASES_PER_MODEL }, (_, i) => [longAlias(i), 1]));
  await registry.setAttributes(modelKey(name), { aliases });
});

describe("a model holding the most aliases it may", () => {
  it("refuses another alias with 400 saying to remove one, writing nothing", async () => {
    const before = await registry.state();

    const refused = setAlias(registry.deps, name, "champion", { version: 1 }, admin);

    await expect(refused).rejects.toMatchObject({
      code: "ValidationError",
      message: expect.stringContaining(`at most ${MAX_ALIASES_PER_MODEL} aliases`),
    });
    expect(await registry.state()).toEqual(before);
  });
});
