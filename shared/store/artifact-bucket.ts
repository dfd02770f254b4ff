import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { hexToBase64 } from "../domain/artifacts";
import { UploadIncompleteError } from "../domain/errors";
import { mapConcurrently } from "../runs";
import { headObject, urlsExpireAt, type StoredObject } from "./bucket-objects";
import { listKeys, type ObjectLister, type ObjectPage } from "./object-listing";

const CHECKSUM_HEADER = "x-amz-checksum-sha256";
// Kept a signed header instead of a query parameter: S3 then refuses a body whose SHA-256 differs.
const SIGNED_CHECKSUM = { unhoistableHeaders: new Set([CHECKSUM_HEADER]) };

export interface PresignedRequest {
  readonly url: string;
  /** Headers the client must send as given: the URL's signature covers them. */
  readonly headers: Record<string, string>;
}

export type { StoredObject } from "./bucket-objects";

export interface ArtifactBucketSettings {
  readonly uploadUrlExpirySeconds: number;
  readonly clock: () => Date;
}

/**
 * The artifacts bucket's uploads and objects. The registry never carries bytes: it presigns URLs
 * scoped to one key, assembles multipart uploads, and deletes objects no version references. Download
 * URLs (./artifact-downloads.ts) and the verifier's reads (./artifact-reads.ts) are classes of their
 * own: a class's methods are bundled whole, and only the downloads function and the verifier use them.
 */
export class ArtifactBucket implements ObjectLister {
  constructor(
    private readonly s3: S3Client,
    readonly bucketName: string,
    private readonly settings: ArtifactBucketSettings,
  ) {}

  uri(key: string): string {
    return `s3://${this.bucketName}/${key}`;
  }

  /** Size and full-object checksum, or undefined when there is no object. */
  head(key: string): Promise<StoredObject | undefined> {
    return headObject(this.s3, this.bucketName, key);
  }

  /**
   * Each of `keys`' size (undefined: no object), from listing pages (listKeys), with a HEAD only for
   * keys of a run too sparse to list (those bring the full-object checksum a HEAD reads, if any).
   * A listing names an object's checksum algorithm, never its value: no HEAD is made for it.
   * `inFlight` requests at once, pages and HEADs alike.
   */
  async storedObjects(keys: readonly string[], inFlight: number): Promise<Map<string, StoredObject | undefined>> {
    const listed = await listKeys(this, keys, inFlight);
    const toHead = [...listed].filter(([, found]) => found === "head").map(([key]) => key);
    const headed = await mapConcurrently(toHead, inFlight, async (key) => [key, await this.head(key)] as const);
    const stored = new Map<string, StoredObject | undefined>();
    for (const [key, found] of listed) if (found !== "head") stored.set(key, found && { sizeBytes: found.sizeBytes });
    for (const [key, object] of headed) stored.set(key, object);
    return stored;
  }

  /** One ListObjectsV2 page (s3:ListBucket, granted for the artifacts prefix only). */
  async list(prefix: string, startAfter: string, maxKeys: number): Promise<ObjectPage> {
    const page = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.bucketName, Prefix: prefix, StartAfter: startAfter, MaxKeys: maxKeys }),
    );
    return {
      objects: (page.Contents ?? []).map((object) => ({ key: object.Key ?? "", sizeBytes: object.Size ?? 0 })),
      truncated: page.IsTruncated === true,
    };
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
    return urlsExpireAt(this.settings.clock, this.settings.uploadUrlExpirySeconds);
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

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: key }));
  }

  private signing(expiresIn: number) {
    return { expiresIn, signingDate: this.settings.clock(), ...SIGNED_CHECKSUM };
  }
}
