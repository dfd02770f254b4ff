import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { headObject, isMissing, type StoredObject } from "./bucket-objects";

/** The object was deleted while it was being read. */
export class ObjectGoneError extends Error {
  constructor(readonly key: string) {
    super(`${key} is no longer in the bucket`);
  }
}

/** The verifier's reads of the artifacts bucket's objects, to hash them (no other function reads bytes), or to learn S3 checked them already. */
export class ArtifactReads {
  constructor(
    private readonly s3: S3Client,
    private readonly bucketName: string,
  ) {}

  /** One HEAD: the object's size and the full-object SHA-256 S3 reports (a single PUT's, which S3 checked against its signed digest), or undefined when there is no object. */
  head(key: string): Promise<StoredObject | undefined> {
    return headObject(this.s3, this.bucketName, key);
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
}
