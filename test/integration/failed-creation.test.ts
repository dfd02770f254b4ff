import { describe, expect, it } from "vitest";
import { createDynamoDbClient } from "../../shared/clients";
import { buildRegistryDeps } from "../../shared/composition";
import { ModelNotFoundError } from "../../shared/domain/errors";
import { searchRegisteredModels } from "../../shared/mlflow/registry";
import { createModel } from "../../shared/use-cases/create-model";
import { deleteModel } from "../../shared/use-cases/delete-model";
import { getModel } from "../../shared/use-cases/get-model";
import { listHistory } from "../../shared/use-cases/list-history";
import { listModels } from "../../shared/use-cases/list-models";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const registry = useTestRegistry();
const admin = roleCaller("registry-admin", "req-admin");

/** What DynamoDB answers a transaction it refuses outright, such as one with an item over 400 KB: no contention, no retry. */
const refusedTransaction = () =>
  Object.assign(new Error("Item size has exceeded the maximum allowed size"), { name: "ValidationException" });

/** The registry's dependencies with a store whose first transaction DynamoDB refuses, after the change took its turn ticket. */
function storeRefusingFirstCommit() {
  const dynamodb = createDynamoDbClient(registry.config);
  let refused = false;
  dynamodb.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName !== "TransactWriteItemsCommand" || refused) return next(args);
      refused = true;
      throw refusedTransaction();
    },
    { step: "initialize" },
  );
  return { deps: { ...registry.deps, store: buildRegistryDeps(registry.config, dynamodb).store }, close: () => dynamodb.destroy() };
}

const mlflowSearch = async (filter: string) => (await searchRegisteredModels(registry.deps, { filter, order_by: [] })).registered_models;
const partition = async (name: string) => (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);

describe("a creation whose commit DynamoDB refuses", () => {
  it("leaves only its turn ticket: the name has no model anywhere a caller looks, and stays creatable", async () => {
    const name = uniqueModelName("fraud_detector");
    const refusing = storeRefusingFirstCommit();

    await expect(createModel(refusing.deps, { name }, admin)).rejects.toThrow("Item size has exceeded");
    refusing.close();

    // The ticket taken before the commit stays: there is no model item to record its turn on.
    expect(await partition(name)).toEqual([expect.objectContaining({ entity: "turnTickets", issued: 1 })]);
    await expect(getModel(registry.deps, name)).rejects.toThrow(ModelNotFoundError);
    await expect(listHistory(registry.deps, name, { limit: 10 })).rejects.toThrow(ModelNotFoundError);
    await expect(deleteModel(registry.deps, name, admin)).rejects.toThrow(ModelNotFoundError);
    expect((await listModels(registry.deps, { prefix: name, limit: 10 })).items).toEqual([]);
    expect(await mlflowSearch(`name LIKE '${name}%'`)).toEqual([]);
    expect(await mlflowSearch(`name = '${name}'`)).toEqual([]);

    const created = await createModel(registry.deps, { name, description: "second try" }, admin);

    expect(created).toMatchObject({ name, description: "second try", latestRegisteredVersion: null });
    expect((await listModels(registry.deps, { prefix: name, limit: 10 })).items.map((model) => model.name)).toEqual([name]);
    const history = await listHistory(registry.deps, name, { limit: 10 });
    expect(history.items.map(({ sequence, action }) => ({ sequence, action }))).toEqual([{ sequence: 1, action: "MODEL_CREATED" }]);
    // The tickets count on: the new model's commit ended turn 2, past the refused creation's.
    const items = await partition(name);
    expect(items.find((item) => item.entity === "model")?.served).toBe(2);
    expect(items.find((item) => item.entity === "turnTickets")?.issued).toBe(2);
  });
});
