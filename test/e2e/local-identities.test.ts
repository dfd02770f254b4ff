import { describe, expect, it } from "vitest";
import { useLocalRegistry } from "../support/local-registry";
import { APPROVALS, DOCUMENTED_MODEL, SEVERAL_PEOPLE, SEVERAL_PEOPLE_TOKENS, examples, getJson, runBlocks } from "../support/doc-examples";

/**
 * The README's "Acting as several people locally", run as written against npm start with the
 * ready-made tokens file it names. A process holds one registry's handlers, so this walk has its own file.
 */
const registry = useLocalRegistry("registry-people-", async () => ({ tokensFile: SEVERAL_PEOPLE_TOKENS }));
const asReleaseBot = { authorization: "Bearer promoter-token" };

describe("the README's several people", () => {
  it("act with their own roles: the publisher registers, the bot stages, the approver promotes, the creator is refused and told why", async () => {
    const blocks = await examples(SEVERAL_PEOPLE);
    expect(blocks.length).toBeGreaterThanOrEqual(5);

    await runBlocks(blocks, registry.url, DOCUMENTED_MODEL);

    const history = (await getJson(registry.url, `/models/${DOCUMENTED_MODEL}/history?limit=50`, asReleaseBot)).items;
    expect(history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "VERSION_REGISTERED", version: 1, actor: "local:pat-publisher" }),
        expect.objectContaining({ action: "POLICY_CHANGED", actor: "local:root-admin" }),
        expect.objectContaining({ action: "STAGE_CHANGED", version: 1, toStage: "Staging", actor: "local:release-bot" }),
        expect.objectContaining({ action: "STAGE_CHANGED", version: 1, toStage: "Production", actor: "local:ada-approver" }),
      ]),
    );
    expect(await getJson(registry.url, `/models/${DOCUMENTED_MODEL}/stages/Production`, asReleaseBot)).toMatchObject({ version: 1 });

    // The creator refused by separateApprover is pointed to the way to act as someone else.
    const refused = await fetch(`${registry.url}/models/${DOCUMENTED_MODEL}/versions/2/transitions`, {
      method: "POST",
      headers: { authorization: "Bearer admin-token" },
      body: JSON.stringify({ to: "Production", reason: "my own model", expectedCurrentVersion: 1 }),
    });

    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'local:root-admin registered this version, so someone else must approve it: move it as another caller (to act as several people with npm start, see "Acting as several people locally" in README.md)',
    );
  }, 120_000);

  it("run docs/lifecycle.md's approvals: two approvers let the promotion through, an approval lets the bot move the protected alias", async () => {
    const model = "fraud_detector-governance";
    const blocks = await examples(APPROVALS);
    expect(blocks.length).toBeGreaterThanOrEqual(5);

    await runBlocks(blocks, registry.url, model);

    const history = (await getJson(registry.url, `/models/${model}/history?limit=50`, asReleaseBot)).items;
    expect(history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "STAGE_CHANGED",
          toStage: "Production",
          actor: "local:release-bot",
          approvers: ["local:ada-approver", "local:lin-reviewer"],
        }),
        expect.objectContaining({ action: "ALIAS_CHANGED", alias: "champion", version: 1, actor: "local:release-bot" }),
      ]),
    );
  }, 120_000);
});
