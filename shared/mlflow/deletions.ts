import type { Caller } from "../domain/permissions";
import { deleteModel } from "../use-cases/delete-model";
import { deleteVersion } from "../use-cases/delete-version";
import type { RemovalDeps } from "../use-cases/deps";

/**
 * MLflow's deletions over the registry's own (docs/mlflow.md), served by the artifacts function:
 * apart from ./registry.ts, so that its bundle reaches only the use cases it calls.
 */

/** The native model deletion: refused (INVALID_STATE) while a version is in Staging or Production, or being verified. */
export async function deleteRegisteredModel(deps: RemovalDeps, input: { name: string }, who: Caller): Promise<void> {
  await deleteModel(deps, input.name, who);
}

export async function deleteModelVersion(deps: RemovalDeps, input: { name: string; version: number }, who: Caller): Promise<void> {
  await deleteVersion(deps, input.name, { number: input.version }, who);
}
