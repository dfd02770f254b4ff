import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import * as z from "../shared/zod";

/**
 * The resume journal of one push: what was registered and which parts S3 holds, so a push killed
 * at any point (Ctrl-C, kill -9, network loss) re-run with the same command uploads only the parts
 * not yet done. It lives under the user cache directory (`$XDG_CACHE_HOME/model-registry/uploads`,
 * else `~/.cache/…`), one file per registry, model and file path, written atomically (temporary
 * file + rename) after each part. It is trusted only for the very same file and registration.
 */

const journalSchema = z.strictObject({
  format: z.literal(1),
  registry: z.string(),
  model: z.string(),
  file: z.string(),
  sizeBytes: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  partSizeBytes: z.number(),
  partCount: z.number(),
  /** The registration is sent with this key: a re-run after a kill mid-request gets the same version (docs/lifecycle.md, Safe retries). */
  idempotencyKey: z.string(),
  /** SHA-256 of the registration body: another body (other metadata) is another push. */
  registrationSha256: z.string(),
  version: z.optional(z.number()),
  parts: z.array(z.strictObject({ partNumber: z.number(), etag: z.string() })),
});

export type JournalEntry = z.output<typeof journalSchema>;
export type DonePart = JournalEntry["parts"][number];

/** What the push about to start is: a journal is only for exactly this. */
export type PushIdentity = Pick<
  JournalEntry,
  "registry" | "model" | "file" | "sizeBytes" | "mtimeMs" | "sha256" | "partSizeBytes" | "partCount" | "registrationSha256"
>;

export function defaultJournalDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "model-registry", "uploads");
}

export function journalPath(directory: string, push: Pick<PushIdentity, "registry" | "model" | "file">): string {
  const key = createHash("sha256")
    .update(JSON.stringify([push.registry, push.model, push.file]))
    .digest("hex")
    .slice(0, 32);
  return join(directory, `${key}.json`);
}

/** Why a journal may not be trusted for this push, or undefined when it may. */
export function journalMismatch(journal: JournalEntry, push: PushIdentity): string | undefined {
  if (journal.sizeBytes !== push.sizeBytes) return `the file's size changed (${journal.sizeBytes} → ${push.sizeBytes} bytes)`;
  if (journal.mtimeMs !== push.mtimeMs) return "the file was modified since";
  if (journal.sha256 !== push.sha256) return "the file's SHA-256 changed";
  if (journal.partSizeBytes !== push.partSizeBytes || journal.partCount !== push.partCount) return "the part size changed";
  if (journal.registrationSha256 !== push.registrationSha256) return "the version's metadata changed";
  if (journal.registry !== push.registry || journal.model !== push.model || journal.file !== push.file) return "it is another push's";
  return undefined;
}

/** A journal on disk: read once, then saved after each change, one write at a time. */
export class UploadJournal {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private entry: JournalEntry,
  ) {}

  /** The journal at `path`, if any and readable; undefined when there is none, or the reason it is unreadable. */
  static async read(path: string): Promise<JournalEntry | { unreadable: string } | undefined> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      return { unreadable: (error as Error).message };
    }
    try {
      const parsed = z.safeParse(journalSchema, JSON.parse(text));
      return parsed.success ? parsed.data : { unreadable: "it is not a journal this client wrote" };
    } catch {
      return { unreadable: "it is not JSON (cut short?)" };
    }
  }

  /** A journal for a push: `resumed` when one was trusted, else a fresh one (a new idempotency key, no parts). */
  static async start(path: string, push: PushIdentity, resumed?: JournalEntry): Promise<UploadJournal> {
    const journal = new UploadJournal(path, resumed ?? { format: 1, ...push, idempotencyKey: randomUUID(), parts: [] });
    await mkdir(join(path, ".."), { recursive: true });
    await journal.save();
    return journal;
  }

  get idempotencyKey(): string {
    return this.entry.idempotencyKey;
  }

  get version(): number | undefined {
    return this.entry.version;
  }

  get doneParts(): readonly DonePart[] {
    return this.entry.parts;
  }

  registered(version: number): Promise<void> {
    this.entry = { ...this.entry, version, parts: [] };
    return this.save();
  }

  partDone(part: DonePart): Promise<void> {
    this.entry = { ...this.entry, parts: [...this.entry.parts, part] };
    return this.save();
  }

  /** The journal's version is gone or failed: a new registration, under a new idempotency key. */
  startOver(): Promise<void> {
    const { version: _version, ...rest } = this.entry;
    this.entry = { ...rest, idempotencyKey: randomUUID(), parts: [] };
    return this.save();
  }

  /** The upload was started again: the parts S3 held belong to the abandoned one. */
  restarted(): Promise<void> {
    this.entry = { ...this.entry, parts: [] };
    return this.save();
  }

  async remove(): Promise<void> {
    await this.writes;
    await unlink(this.path).catch(() => undefined);
  }

  private save(): Promise<void> {
    const text = JSON.stringify(this.entry);
    this.writes = this.writes.then(async () => {
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.path);
    });
    return this.writes;
  }
}
