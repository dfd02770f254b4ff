import { HeadObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { base64ToHex } from "../domain/artifacts";

/** Without s3:ListBucket, S3 answers 403 for a missing key. */
export const isMissing = (error: unknown): boolean =>
  error instanceof S3ServiceException && [403, 404].includes(error.$metadata.httpStatusCode ?? 0);

/** When URLs signed now for `seconds` stop working. */
export const urlsExpireAt = (clock: () => Date, seconds: number): string => new Date(clock().getTime() + seconds * 1000).toISOString();

export interface StoredObject {
  readonly sizeBytes: number;
  /**
   * S3's stored full-object SHA-256 (hex), when it reports one: a single PUT's, whose URL signed it (S3
   * refused any other bytes). Not for multipart objects (their checksum is composite) nor engines that keep none.
   */
  readonly sha256?: string;
}

/** One HEAD of the object (ChecksumMode ENABLED): its size and full-object checksum, or undefined when there is none. */
export async function headObject(s3: S3Client, bucketName: string, key: string): Promise<StoredObject | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: key, ChecksumMode: "ENABLED" }));
    const fullObject = head.ChecksumSHA256 && head.ChecksumType !== "COMPOSITE" && !head.ChecksumSHA256.includes("-");
    return { sizeBytes: head.ContentLength ?? 0, sha256: fullObject ? base64ToHex(head.ChecksumSHA256 as string) : undefined };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}
