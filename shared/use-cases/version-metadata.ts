import * as z from "../zod";
import { PayloadTooLargeError } from "../domain/errors";
import type { VersionItem } from "../store/entities/version";
import { versionMetadata, type VersionMetadata } from "../schemas/version";

export const MAX_METADATA_BYTES = 64 * 1024;

export function metadataOf(item: VersionItem): VersionMetadata {
  const fields = Object.keys(z.built(versionMetadata).shape) as (keyof VersionMetadata)[];
  return Object.fromEntries(fields.map((field) => [field, item[field]])) as VersionMetadata;
}

export function assertMetadataSize(metadata: VersionMetadata): void {
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > MAX_METADATA_BYTES) {
    throw new PayloadTooLargeError(
      `Version metadata is ${bytes} bytes; the limit is ${MAX_METADATA_BYTES} (64 KiB). Keep large data (feature statistics, plots) ` +
        `in the artifact and reference it.`,
      {
        bytes,
        limit: MAX_METADATA_BYTES,
      },
    );
  }
}
