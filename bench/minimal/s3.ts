import { S3Client } from "@aws-sdk/client-s3";

/** The S3 client of the functions that handle artifacts (shared/s3-client.ts), nothing around it. */
export const s3 = new S3Client({
  region: process.env.AWS_REGION,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
});
