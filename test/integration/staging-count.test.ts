import { beforeAll, describe, expect, it } from "vitest";
import { transitionModelVersionStage } from "../../shared/mlflow/registry";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { registerVersionBody } from "../../shared/schemas/version";
import { modelKey } from "../../shared/store/entities/model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { MAX_VERSIONS_IN_STAGING, transitionVersion } from "../../shared/use-cases/transition-version";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const admin = roleCaller("admin", "req-staging-count");
const registry = useTestRegistry();
const name = uniqueModelName("fraud_detector");
const refusal = {
  code: "ValidationError",
  message: expect.stringContaining(`at most ${MAX_VERSIONS_IN_STAGING} versions in Staging`),
};

/** Versions 1 and 2 are candidates in None; 3 and on are the ones already in Staging. */
beforeAll(async () => {
  const candidate = registerVersionBody.parse({ source: "s3://training/model.tar.gz" });
  await registerVersion(registry.deps, name, candidate, admin);
  await registerVersion(registry.deps, name, candidate, admin);
  // A model whose Staging gathered as many versions as it may hold, promoted long ago (staged, not moved one by one).
  const staging = Array.from({ length: MAX_VERSIONS_IN_STAGING }, (_, i) => i + 3);
  await registry.setAttributes(modelKey(name), { latestVersion: MAX_VERSIONS_IN_STAGING + 2, stages: { Staging: staging } });
});

describe("a model holding the most versions in Staging it may", () => {
  it("refuses another promotion to Staging with 400 saying to archive some, writing nothing", async () => {
    const before = await registry.state();

    const refused = transitionVersion(
      registry.deps,
      name,
      { number: 1 },
      transitionBody.parse({ to: "Staging", reason: "candidate" }),
      admin,
    );

    await expect(refused).rejects.toMatchObject(refusal);
    expect(await registry.state()).toEqual(before);
  });

  it("refuses MLflow's transition-stage to Staging alike, writing nothing", async () => {
    const before = await registry.state();

    const refused = transitionModelVersionStage(
      registry.deps,
      { name, version: 2, stage: "Staging", archive_existing_versions: false },
      admin,
    );

    await expect(refused).rejects.toMatchObject(refusal);
    expect(await registry.state()).toEqual(before);
  });
});
