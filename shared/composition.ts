import { randomUUID } from "node:crypto";
import { loadConfig, type RegistryConfig } from "./config";
import { createDocumentClient } from "./clients";
import { RegistryStore } from "./store/registry-store";
import type { RegistryDeps } from "./use-cases/deps";

/** Builds the use cases' dependencies from config: the same for every Lambda, the local server and tests. */
export function buildRegistryDeps(config: RegistryConfig = loadConfig()): RegistryDeps {
  return {
    store: new RegistryStore(createDocumentClient(config), config.tableName, () => new Date(), randomUUID),
    namingPolicy: config.namingPolicy,
  };
}
