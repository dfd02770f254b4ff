import { tallyProgress, verificationProgressOf } from "../store/entities/file-verification";
import { verificationStartedAtOf } from "../store/entities/manifest";
import { toVersionView, type VersionItem } from "../store/entities/version";
import type { VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";

/** The version's view; while VERIFYING, with how far the verification got (one more Query, only then; a chunked manifest's tally: one GetItem). */
export async function describeVersion(deps: RegistryDeps, item: VersionItem): Promise<VersionView> {
  const view = toVersionView(item);
  const startedAt = verificationStartedAtOf(item);
  if (item.status !== "VERIFYING" || startedAt === undefined) return view;
  if (item.manifest?.chunks) {
    const tally = await deps.store.getVerificationTally(item.model, item.version);
    return tally?.startedAt === startedAt ? { ...view, verification: tallyProgress(tally) } : view;
  }
  const files = await deps.store.listFileVerifications(item.model, item.version);
  return { ...view, verification: verificationProgressOf(files.filter((file) => file.startedAt === startedAt)) };
}
