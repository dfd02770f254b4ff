import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { base64ToHex, hexToBase64 } from "../domain/artifacts";
import { UploadIncompleteError } from "../domain/errors";

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
const CHECKSUM_HEADER = "x-amz-checksum-sha256";
// Kept a signed header instead of a query parameter: S3 then refuses a body whose SHA-256 differs.
const SIGNED_CHECKSUM = { unhoistableHeaders: new Set([CHECKSUM_HEADER]) };

export interface PresignedRequest {
  readonly url: string;
  /** Headers the client must send as given: the URL's signature covers them. */
  readonly headers: Record<string, string>;
}

export interface StoredObject {
  readonly sizeBytes: number;
  /** S3's stored full-object SHA-256 (hex), when it reports one: not for multipart objects (their checksum is composite) nor engines that keep none. */
  readonly sha256?: string;
}

/** The object was deleted while it was being read. */
export class ObjectGoneError extends Error {
  constructor(readonly key: string) {
    super(`${key} is no longer in the bucket`);
  }
}

/** Without s3:ListBucket, S3 answers 403 for a missing key. */
const isMissing = (error: unknown): boolean =>
  error instanceof S3ServiceException && [403, 404].includes(error.$metadata.httpStatusCode ?? 0);

export interface ArtifactBucketSettings {
  readonly uploadUrlExpirySeconds: number;
  readonly clock: () => Date;
}

/**
 * The artifacts bucket. The registry never carries bytes: it presigns URLs scoped to one key,
 * assembles multipart uploads, and reads objects back only to verify them.
 */
export class ArtifactBucket {
  constructor(
    private readonly s3: S3Client,
    readonly bucketName: string,
    private readonly settings: ArtifactBucketSettings,
  ) {}

  uri(key: string): string {
    return `s3://${this.bucketName}/${key}`;
  }

  /** Size and full-object checksum, or undefined when there is no object. */
  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucketName, Key: key, ChecksumMode: "ENABLED" }));
      const fullObject = head.ChecksumSHA256 && head.ChecksumType !== "COMPOSITE" && !head.ChecksumSHA256.includes("-");
      return { sizeBytes: head.ContentLength ?? 0, sha256: fullObject ? base64ToHex(head.ChecksumSHA256 as string) : undefined };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /**
   * One PUT for the whole object. The URL signs the digest, so S3 rejects any other bytes, and
   * `If-None-Match: *`, so an object already stored under this content address is never overwritten.
   */
  async presignPut(key: string, sha256: string): Promise<PresignedRequest> {
    const checksum = hexToBase64(sha256);
    const command = new PutObjectCommand({ Bucket: this.bucketName, Key: key, ChecksumSHA256: checksum, IfNoneMatch: "*" });
    return {
      url: await getSignedUrl(this.s3, command, this.signing(this.settings.uploadUrlExpirySeconds)),
      headers: { [CHECKSUM_HEADER]: checksum, "if-none-match": "*" },
    };
  }

  async startMultipart(key: string, contentType: string): Promise<string> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucketName, Key: key, ContentType: contentType, ChecksumAlgorithm: "SHA256" }),
    );
    if (!UploadId) throw new Error(`S3 started no multipart upload for ${key}`);
    return UploadId;
  }

  /** One part's PUT; the URL signs that part's digest. */
  async presignPart(key: string, uploadId: string, partNumber: number, sha256: string): Promise<PresignedRequest & { partNumber: number }> {
    const checksum = hexToBase64(sha256);
    const command = new UploadPartCommand({
      Bucket: this.bucketName,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      ChecksumSHA256: checksum,
    });
    return {
      partNumber,
      url: await getSignedUrl(this.s3, command, this.signing(this.settings.uploadUrlExpirySeconds)),
      headers: { [CHECKSUM_HEADER]: checksum },
    };
  }

  /** When upload URLs signed now stop working. */
  uploadUrlsExpireAt(): string {
    return this.expiresAt(this.settings.uploadUrlExpirySeconds);
  }

  downloadUrlsExpireAt(): string {
    return this.expiresAt(DOWNLOAD_URL_EXPIRY_SECONDS);
  }

  /**
   * Assembles the parts, never over an object already stored under this key (`If-None-Match: *`):
   * "already-stored" means someone else's upload of the same address won, and that object is what to verify.
   */
  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string; sha256: string }[],
  ): Promise<"completed" | "already-stored"> {
    try {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucketName,
          Key: key,
          UploadId: uploadId,
          IfNoneMatch: "*",
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ChecksumSHA256: hexToBase64(p.sha256) })) },
        }),
      );
      return "completed";
    } catch (error) {
      if (!(error instanceof S3ServiceException)) throw error;
      const status = error.$metadata.httpStatusCode ?? 0;
      if (status === 412) return "already-stored";
      // S3's verdict on the client's parts (InvalidPart, EntityTooSmall, NoSuchUpload, …): the client can act on it.
      if (status >= 400 && status < 500)
        throw new UploadIncompleteError(`S3 did not assemble the parts: ${error.name}: ${error.message}`, { s3Code: error.name });
      throw error;
    }
  }

  /**
   * Aborts a multipart upload: its part URLs stop working and S3 frees its parts. An upload already
   * completed or aborted (404 NoSuchUpload) needs nothing more.
   */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucketName, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (error instanceof S3ServiceException && error.name === "NoSuchUpload") return;
      throw error;
    }
  }

  /**
   * Bytes [start, end) of the object: one ranged GET, read whole (the verifier sizes its chunks to fit
   * in memory), in the pieces the response arrived in. The verifier hashes them in turn: joining them
   * (the SDK's transformToByteArray) would copy every byte once more.
   */
  async readRange(key: string, start: number, end: number): Promise<Uint8Array[]> {
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucketName, Key: key, Range: `bytes=${start}-${end - 1}` }));
      if (!Body) throw new Error(`S3 returned no body for bytes ${start}-${end - 1} of ${key}`);
      const pieces: Uint8Array[] = [];
      // In Node.js the body is the response's stream (a Readable).
      for await (const piece of Body as AsyncIterable<Uint8Array>) pieces.push(piece);
      return pieces;
    } catch (error) {
      if (isMissing(error)) throw new ObjectGoneError(key);
      throw error;
    }
  }

  async presignGet(key: string, filename: string, contentType: string): Promise<{ url: string; expiresAt: string }> {
    const command = new GetObjectCommand({
      Bucket: this.bucketName,
      Key: key,
      ResponseContentDisposition: attachment(filename),
      ResponseContentType: contentType,
    });
    return {
      url: await getSignedUrl(this.s3, command, this.signing(DOWNLOAD_URL_EXPIRY_SECONDS)),
      expiresAt: this.expiresAt(DOWNLOAD_URL_EXPIRY_SECONDS),
    };
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: key }));
  }

  private signing(expiresIn: number) {
    return { expiresIn, signingDate: this.settings.clock(), ...SIGNED_CHECKSUM };
  }

  private expiresAt(seconds: number): string {
    return new Date(this.settings.clock().getTime() + seconds * 1000).toISOString();
  }
}
