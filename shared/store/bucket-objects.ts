import { S3ServiceException } from "@aws-sdk/client-s3";

/** Without s3:ListBucket, S3 answers 403 for a missing key. */
export const isMissing = (error: unknown): boolean =>
  error instanceof S3ServiceException && [403, 404].includes(error.$metadata.httpStatusCode ?? 0);

/** When URLs signed now for `seconds` stop working. */
export const urlsExpireAt = (clock: () => Date, seconds: number): string => new Date(clock().getTime() + seconds * 1000).toISOString();
