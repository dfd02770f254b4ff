import { createHash } from "node:crypto";
import { createSHA256, type IHasher } from "hash-wasm";

/**
 * How far a SHA-256 over an object got: bytes [0, offset) are folded into `state`, hash-wasm's
 * saved hasher (about a hundred bytes, base64), absent before the first byte.
 */
export interface DigestProgress {
  readonly offset: number;
  readonly state?: string;
}

/** What one stretch of hashing ends with: the digest, or where to go on from. */
export type DigestStep =
  | { readonly done: true; readonly sha256: string }
  | { readonly done: false; readonly offset: number; readonly state: string };

/** Bytes [start, end) of the object, in the pieces they arrived in. */
export type RangeReader = (start: number, end: number) => Promise<readonly Uint8Array[]>;

export interface RangedDigestOptions {
  /** Bytes per ranged GET. */
  readonly chunkBytes: number;
  /** Ranged GETs in flight at once: also how many chunks sit in memory. */
  readonly concurrency: number;
  /** True once this stretch must start no more reads: the chunks in flight are still hashed. */
  readonly budgetSpent: () => boolean;
  /** Called with the progress each time about `checkpointBytes` more were hashed, so a crash re-reads at most that much. */
  readonly checkpoint?: (progress: Paused) => Promise<void>;
  readonly checkpointBytes?: number;
  /**
   * Hash with Node's crypto (OpenSSL: about four times hash-wasm's speed), which cannot save its
   * state: only for a digest from byte 0 that this stretch is expected to finish. It saves no
   * checkpoints; a stretch that runs out of budget all the same ends at byte 0 with a saved fresh
   * state, so the follow-up hashes resumably.
   */
  readonly inOneGo?: boolean;
}

/** Paused: where a follow-up stretch goes on from. */
type Paused = DigestStep & { done: false };

/**
 * Continues a SHA-256 over an object of `sizeBytes` from `from`: ranged GETs run `concurrency` at
 * a time ahead of the hash, which takes them in order. The first reads always start, so every
 * stretch moves on by at least one chunk, however small its budget.
 */
export async function continueDigest(
  read: RangeReader,
  sizeBytes: number,
  from: DigestProgress,
  options: RangedDigestOptions,
): Promise<DigestStep> {
  const hasher = options.inOneGo ? oneGoHasher(from) : await resumableHasher(from);
  const inFlight: { end: number; pieces: Promise<readonly Uint8Array[]> }[] = [];
  let next = from.offset;
  let offset = from.offset;
  let lastCheckpoint = from.offset;
  const startRead = () => {
    const start = next;
    next = Math.min(sizeBytes, start + options.chunkBytes);
    const pieces = read(start, next);
    pieces.catch(() => undefined); // awaited in order below; a failure ahead of the hash must not go unhandled meanwhile
    inFlight.push({ end: next, pieces });
  };
  while (next < sizeBytes && inFlight.length < options.concurrency) startRead();
  for (let chunk = inFlight.shift(); chunk; chunk = inFlight.shift()) {
    const pieces = await chunk.pieces;
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    if (length !== chunk.end - offset)
      throw new Error(`Asked for bytes ${offset}-${chunk.end - 1}, got ${length} bytes: the object is not ${sizeBytes} bytes long`);
    for (const piece of pieces) hasher.update(piece);
    offset = chunk.end;
    if (next < sizeBytes && !options.budgetSpent()) startRead();
    if (options.checkpoint && hasher.saves && offset < sizeBytes && offset - lastCheckpoint >= (options.checkpointBytes ?? 0)) {
      await options.checkpoint(await hasher.pausedAt(offset));
      lastCheckpoint = offset;
    }
  }
  return offset === sizeBytes ? { done: true, sha256: hasher.digest() } : hasher.pausedAt(offset);
}

/** One stretch's SHA-256: `saves` when it can pause with its state saved. */
interface StretchHasher {
  readonly saves: boolean;
  update(bytes: Uint8Array): void;
  digest(): string;
  pausedAt(offset: number): Promise<Paused>;
}

function oneGoHasher(from: DigestProgress): StretchHasher {
  if (from.offset !== 0 || from.state !== undefined) throw new Error(`A digest resumed at byte ${from.offset} cannot be hashed in one go`);
  const hash = createHash("sha256");
  return {
    saves: false,
    update: (bytes) => hash.update(bytes),
    digest: () => hash.digest("hex"),
    // Node's state cannot be saved: the follow-up starts over, with a state it can save.
    pausedAt: async () => pausedAt((await createSHA256()).init(), 0),
  };
}

async function resumableHasher(from: DigestProgress): Promise<StretchHasher> {
  const hasher = await resumedHasher(from);
  return {
    saves: true,
    update: (bytes) => hasher.update(bytes),
    digest: () => hasher.digest("hex"),
    pausedAt: async (offset) => pausedAt(hasher, offset),
  };
}

async function resumedHasher(from: DigestProgress): Promise<IHasher> {
  const hasher = await createSHA256();
  if (from.state === undefined) {
    if (from.offset !== 0) throw new Error(`A digest resumed at byte ${from.offset} needs the hash state saved there`);
    return hasher.init();
  }
  return hasher.load(Buffer.from(from.state, "base64"));
}

const pausedAt = (hasher: IHasher, offset: number): Paused => ({
  done: false as const,
  offset,
  state: Buffer.from(hasher.save()).toString("base64"),
});
