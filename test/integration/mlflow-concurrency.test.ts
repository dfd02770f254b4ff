import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext, roleCaller } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";

/**
 * What MLflow's own server does not give: concurrent transition-stage calls to Production on
 * different versions leave exactly one version there, and a history that agrees with it.
 * MLflow's semantics (no expected occupant in the request) over the native compare-and-set.
 */

const registry = useTestRegistry();
let lifecycle: ApiHandler;
beforeAll(async () => void ({ lifecycle } = await loadHandlers(registry, "lifecycle")));

const ROUNDS = 5;
const CALLERS = 20;
const trainer = roleCaller("training", "req-train");

async function modelWithStagingVersions(count: number): Promise<string> {
  const name = uniqueModelName("fraud_detector");
  for (let v = 1; v <= count; v++) {
    await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `runs:/run${v}/model` }), trainer);
    await transitionVersion(registry.deps, name, { number: v }, transitionBody.parse({ to: "Staging", reason: "validated" }), trainer);
  }
  return name;
}

const promote = (name: string, version: number) =>
  lifecycle(
    apiEvent({
      routeKey: "POST /api/2.0/mlflow/model-versions/transition-stage",
      body: { name, version: String(version), stage: "Production", archive_existing_versions: true },
      actor: `arn:aws:iam::123456789012:role/deployer-${version}`,
    }),
    lambdaContext,
  );

describe("concurrent MLflow transition-stage calls to Production", () => {
  it(`leave exactly one Production version and a consistent history, over ${ROUNDS} rounds of ${CALLERS} callers`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const name = await modelWithStagingVersions(CALLERS);

      const answers = await Promise.all(Array.from({ length: CALLERS }, (_, i) => promote(name, i + 1)));

      const bodies = answers.map((answer) => ({ status: answer.statusCode, body: JSON.parse(answer.body ?? "{}") }));
      const succeeded = bodies.filter((answer) => answer.status === 200).map((answer) => Number(answer.body.model_version.version));
      expect(succeeded.length, `round ${round}`).toBeGreaterThanOrEqual(1);
      // The others lost a race MLflow's API cannot express: another promotion got in after they read Production's occupant.
      for (const refused of bodies.filter((answer) => answer.status !== 200))
        expect(refused, `round ${round}`).toEqual({
          status: 409,
          body: { error_code: "ABORTED", message: expect.stringContaining("got in first") },
        });

      const items = (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
      const inProduction = items.filter((item) => item.entity === "version" && item.stage === "Production").map((item) => item.version);
      expect(inProduction, `round ${round}`).toHaveLength(1);
      const [occupant] = inProduction as [number];
      expect(items.find((item) => item.sk === "MODEL")).toMatchObject({ stages: { Production: occupant } });
      expect(items.find((item) => item.sk === "STAGE#Production")).toMatchObject({ version: occupant });

      // History: one entry into Production per successful call, each replacing the one before, the last naming the occupant.
      const history = items.filter((item) => item.entity === "history").sort((a, b) => (a.sequence as number) - (b.sequence as number));
      const intoProduction = history.filter((entry) => entry.action === "STAGE_CHANGED" && entry.toStage === "Production");
      expect(intoProduction.map((entry) => entry.version).sort(), `round ${round}`).toEqual([...succeeded].sort());
      expect(intoProduction.at(-1)?.version).toBe(occupant);
      intoProduction.forEach((entry, i) => {
        expect(entry.previousVersion).toBe(i === 0 ? undefined : intoProduction[i - 1]?.version);
      });
      const archivedFromProduction = history.filter((entry) => entry.fromStage === "Production" && entry.toStage === "Archived");
      expect(archivedFromProduction.map((entry) => entry.version)).toEqual(intoProduction.slice(0, -1).map((entry) => entry.version));
      for (const replaced of intoProduction.slice(0, -1))
        expect(items.find((item) => item.entity === "version" && item.version === replaced.version)).toMatchObject({ stage: "Archived" });
    }
    // 100 contended calls share DynamoDB Local with the other test files running beside this one.
  }, 120_000);
});
