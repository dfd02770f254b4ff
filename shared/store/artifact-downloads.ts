import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { urlsExpireAt } from "./bucket-objects";

/** Download URLs live 15 minutes (docs/artifacts.md, "Walkthrough"). */
export const DOWNLOAD_URL_EXPIRY_SECONDS = 900;

/**
 * The Content-Disposition a download carries: the file's last path segment; one that is not plain
 * ASCII without quotes goes in RFC 6266's `filename*` (percent-encoded UTF-8), so no path breaks the header.
 */
const attachment = (path: string): string => {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return /^[\x20-\x7e]*$/.test(name) && !name.includes('"')
    ? `attachment; filename="${name}"`
    : `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
};

/** Presigned GETs of the artifacts bucket's objects: only the downloads function signs them. */
export class ArtifactDownloads {
  constructor(
    private readonly s3: S3Client,
    private readonly bucketName: string,
    private readonly clock: () => Date,
  ) {}

  async presignGet(key: string, filename: string, contentType: string): Promise<{ url: string; expiresAt: string }> {
    const command = new GetObjectCommand({
      Bucket: this.bucketName,
      Key: key,
      ResponseContentDisposition: attachment(filename),
      ResponseContentType: contentType,
    });
    return {
      url: await getSignedUrl(this.s3, command, { expiresIn: DOWNLOAD_URL_EXPIRY_SECONDS, signingDate: this.clock() }),
      expiresAt: this.urlsExpireAt(),
    };
  }

  /** When download URLs signed now stop working. */
  urlsExpireAt(): string {
    return urlsExpireAt(this.clock, DOWNLOAD_URL_EXPIRY_SECONDS);
  }
}
