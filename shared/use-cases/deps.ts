import type { NamingPolicyMode } from "../config";
import type { RegistryStore, Actor } from "../store/registry-store";

/** What every use case may use; the Lambda handlers and the local server build it from config. */
export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly namingPolicy: NamingPolicyMode;
}

export type { Actor };
