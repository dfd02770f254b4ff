import { describe, expect, it } from "vitest";
import { MiB } from "../../shared/domain/artifacts";
import { registerVersionBody } from "../../shared/schemas/version";
import { MAX_DECLARED_DIGEST_BYTES } from "../../shared/use-cases/artifact-uploads";
import { registerVersion } from "../../shared/use-cases/register-version";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const ci = roleCaller("ci-runner", "req-part-digests");
const registry = useTestRegistry();
const LAST_PART = 10_000;

/** `count` files of 10,000 parts of 5 MiB, each declaring the digest of its last part: 320,000 bytes of digests apiece. */
const filesDeclaringTheirLastPart = (count: number) =>
  registerVersionBody.parse({
    files: Array.from({ length: count }, (_, i) => ({
      path: `shards/${i}.bin`,
      sizeBytes: LAST_PART * 5 * MiB,
      sha256: String(i).padStart(64, "a"),
      partSizeBytes: 5 * MiB,
      parts: [{ partNumber: LAST_PART, sha256: "b".repeat(64) }],
    })),
  });

describe("the part digests one registration declares", () => {
  it("refuses more with 400 saying to declare the rest a file at a time, writing nothing", async () => {
    const before = await registry.state();

    const refused = registerVersion(registry.deps, uniqueModelName("fraud_detector"), filesDeclaringTheirLastPart(14), ci);

    await expect(refused).rejects.toMatchObject({
      code: "ValidationError",
      message: expect.stringContaining("a file at a time, with POST …/artifact/parts"),
    });
    expect(await registry.state()).toEqual(before);
  });

  it("registers files declaring as many digests as one registration may hold", async () => {
    const most = Math.floor(MAX_DECLARED_DIGEST_BYTES / (LAST_PART * 32));

    const registered = await registerVersion(registry.deps, uniqueModelName("fraud_detector"), filesDeclaringTheirLastPart(most), ci);

    expect(registered.status).toBe("PENDING_UPLOAD");
  });
});
