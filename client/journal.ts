import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import * as z from "../shared/zod";
import { UsageError } from "./errors";
import { deepestExisting } from "./local-paths";

/**
 * The resume journal of one push, of a file or of a directory: what was registered and which
 * bytes S3 holds, so a push killed at any point (Ctrl-C, kill -9, network loss) re-run with the
 * same command uploads only what is not yet done. It lives under the user cache directory
 * (`$XDG_CACHE_HOME/model-registry/uploads`, else `~/.cache/…`), one file per registry, model and
 * path, written atomically (temporary file + rename) after each part or file. It is trusted only
 * for the very same bytes and registration.
 */

const donePart = z.strictObject({ partNumber: z.number(), etag: z.string() });

/** What every journal holds: whose push it is, how its registration is sent, and the version it got. */
const registration = {
  format: z.literal(1),
  registry: z.string(),
  model: z.string(),
  /** The registration is sent with this key: a re-run after a kill mid-request gets the same version (docs/lifecycle.md, Safe retries). */
  idempotencyKey: z.string(),
  /** SHA-256 of the registration body: another body (other metadata) is another push. */
  registrationSha256: z.string(),
  version: z.optional(z.number()),
};

const journalSchema = z.strictObject({
  ...registration,
  file: z.string(),
  sizeBytes: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  partSizeBytes: z.number(),
  partCount: z.number(),
  parts: z.array(donePart),
});

const directoryJournalSchema = z.strictObject({
  ...registration,
  directory: z.string(),
  files: z.array(z.strictObject({ path: z.string(), sizeBytes: z.number(), mtimeMs: z.number(), sha256: z.string() })),
  /** Each file the version asked bytes for: its multipart upload, the parts S3 took, and whether all its bytes are there. */
  uploads: z.array(z.strictObject({ path: z.string(), uploadId: z.optional(z.string()), parts: z.array(donePart), done: z.boolean() })),
});

export type JournalEntry = z.output<typeof journalSchema>;
export type DirectoryJournalEntry = z.output<typeof directoryJournalSchema>;
export type DonePart = JournalEntry["parts"][number];
export type FileUploadState = DirectoryJournalEntry["uploads"][number];
type Registration = Pick<JournalEntry, keyof typeof registration>;

/** What the push about to start is: a journal is only for exactly this. */
export type PushIdentity = Omit<JournalEntry, "format" | "idempotencyKey" | "version" | "parts">;
export type DirectoryPushIdentity = Omit<DirectoryJournalEntry, "format" | "idempotencyKey" | "version" | "uploads">;

export function defaultJournalDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "model-registry", "uploads");
}

/** One journal per registry, model and path (a file's, or a directory's). */
export function journalPath(directory: string, push: { registry: string; model: string; file: string }): string {
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
  return registrationMismatch(journal, push) ?? (journal.file === push.file ? undefined : "it is another push's");
}

/** Why a directory's journal may not be trusted for this push: the first file added, removed or changed, or the metadata. */
export function directoryJournalMismatch(journal: DirectoryJournalEntry, push: DirectoryPushIdentity): string | undefined {
  const before = new Map(journal.files.map((file) => [file.path, file]));
  const now = new Set(push.files.map((file) => file.path));
  for (const file of push.files) {
    const was = before.get(file.path);
    if (!was) return `'${file.path}' was added`;
    if (was.sizeBytes !== file.sizeBytes) return `the size of '${file.path}' changed (${was.sizeBytes} → ${file.sizeBytes} bytes)`;
    if (was.mtimeMs !== file.mtimeMs) return `'${file.path}' was modified since`;
    if (was.sha256 !== file.sha256) return `the SHA-256 of '${file.path}' changed`;
  }
  const removed = journal.files.find((file) => !now.has(file.path));
  if (removed) return `'${removed.path}' was removed`;
  return registrationMismatch(journal, push) ?? (journal.directory === push.directory ? undefined : "it is another push's");
}

function registrationMismatch(journal: Registration, push: Pick<Registration, "registry" | "model" | "registrationSha256">) {
  if (journal.registrationSha256 !== push.registrationSha256) return "the version's metadata changed";
  if (journal.registry !== push.registry || journal.model !== push.model) return "it is another push's";
  return undefined;
}

/** The journal at `path`, if any and readable; undefined when there is none, or the reason it is unreadable. */
async function readJournal<E>(path: string, schema: z.ZodMiniType<E>): Promise<E | { unreadable: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") throw await notADirectory(dirname(path));
    return { unreadable: (error as Error).message };
  }
  try {
    const parsed = z.safeParse(schema, JSON.parse(text));
    return parsed.success ? parsed.data : { unreadable: "it is not a journal this client wrote" };
  } catch {
    return { unreadable: "it is not JSON (cut short?)" };
  }
}

/** The journals' directory, or a folder it would be made in, is a file: no journal can be kept there, and none is discarded. */
async function notADirectory(directory: string): Promise<UsageError> {
  const file = await deepestExisting(directory);
  return new UsageError(
    `Resume journals go in ${directory}, but ${file} is a file, not a directory: move it away, or set XDG_CACHE_HOME to a directory ` +
      "(journals go in $XDG_CACHE_HOME/model-registry/uploads, else ~/.cache/model-registry/uploads).",
  );
}

/**
 * The entry of an interrupted push of exactly this, read from `path`: undefined when there is none,
 * or when it does not fit (said through `onNotice`, naming `subject`, before the push starts over).
 */
export async function trustedEntry<E extends object>(
  path: string,
  read: (path: string) => Promise<E | { unreadable: string } | undefined>,
  mismatch: (entry: E) => string | undefined,
  subject: string,
  onNotice?: (message: string) => void,
): Promise<E | undefined> {
  const stored = await read(path);
  if (stored === undefined) return undefined;
  const problem = "unreadable" in stored ? stored.unreadable : mismatch(stored);
  if (!problem) return stored as E;
  onNotice?.(`Discarding the resume journal of an earlier push of ${subject} (${path}): ${problem}. Starting over.`);
  return undefined;
}

/** A journal on disk: read once, then saved after each change, one write at a time. */
abstract class Journal<E extends Registration> {
  private writes: Promise<void> = Promise.resolve();

  protected constructor(
    readonly path: string,
    protected entry: E,
  ) {}

  get idempotencyKey(): string {
    return this.entry.idempotencyKey;
  }

  get version(): number | undefined {
    return this.entry.version;
  }

  /** The journal's version is gone or failed: a new registration, under a new idempotency key. */
  startOver(): Promise<void> {
    const { version: _version, ...rest } = this.entry;
    this.entry = { ...rest, idempotencyKey: randomUUID(), ...this.noProgress() } as E;
    return this.save();
  }

  async remove(): Promise<void> {
    await this.writes;
    await unlink(this.path).catch(() => undefined);
  }

  /** What the journal holds before any byte is sent. */
  protected abstract noProgress(): Partial<E>;

  protected record(change: Partial<E>): Promise<void> {
    this.entry = { ...this.entry, ...change };
    return this.save();
  }

  /** The journal written once, before anything is sent. */
  protected async created(): Promise<this> {
    await mkdir(dirname(this.path), { recursive: true });
    await this.save();
    return this;
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

/** The journal of a file's push: its version and the parts S3 took. */
export class UploadJournal extends Journal<JournalEntry> {
  static read(path: string): Promise<JournalEntry | { unreadable: string } | undefined> {
    return readJournal(path, journalSchema);
  }

  /** A journal for a push: `resumed` when one was trusted, else a fresh one (a new idempotency key, no parts). */
  static start(path: string, push: PushIdentity, resumed?: JournalEntry): Promise<UploadJournal> {
    return new UploadJournal(path, resumed ?? { format: 1, ...push, idempotencyKey: randomUUID(), parts: [] }).created();
  }

  get doneParts(): readonly DonePart[] {
    return this.entry.parts;
  }

  registered(version: number): Promise<void> {
    return this.record({ version, parts: [] });
  }

  partDone(part: DonePart): Promise<void> {
    return this.record({ parts: [...this.entry.parts, part] });
  }

  /** The upload was started again: the parts S3 held belong to the abandoned one. */
  restarted(): Promise<void> {
    return this.record({ parts: [] });
  }

  protected noProgress(): Partial<JournalEntry> {
    return { parts: [] };
  }
}

/** The journal of a directory's push: its version, and for each file it asked bytes for, what S3 took. */
export class DirectoryJournal extends Journal<DirectoryJournalEntry> {
  static read(path: string): Promise<DirectoryJournalEntry | { unreadable: string } | undefined> {
    return readJournal(path, directoryJournalSchema);
  }

  static start(path: string, push: DirectoryPushIdentity, resumed?: DirectoryJournalEntry): Promise<DirectoryJournal> {
    return new DirectoryJournal(path, resumed ?? { format: 1, ...push, idempotencyKey: randomUUID(), uploads: [] }).created();
  }

  get uploads(): readonly FileUploadState[] {
    return this.entry.uploads;
  }

  /** The version registered, and the files it asked bytes for (with their multipart upload, if in parts). */
  registered(version: number, asked: readonly { path: string; uploadId?: string }[]): Promise<void> {
    return this.record({ version, uploads: asked.map(({ path, uploadId }) => ({ path, uploadId, parts: [], done: false })) });
  }

  /**
   * The version's upload plan read again: files it no longer asks for are held; a file whose
   * multipart upload changed starts its parts over (S3 dropped them with the abandoned upload).
   */
  restarted(asked: readonly { path: string; uploadId?: string }[]): Promise<void> {
    const before = new Map(this.entry.uploads.map((upload) => [upload.path, upload]));
    return this.record({
      uploads: asked.map(({ path, uploadId }) => {
        const was = before.get(path);
        return was && was.uploadId === uploadId ? was : { path, uploadId, parts: [], done: false };
      }),
    });
  }

  partDone(path: string, part: DonePart): Promise<void> {
    return this.update(path, (upload) => ({ ...upload, parts: [...upload.parts, part] }));
  }

  fileDone(path: string): Promise<void> {
    return this.update(path, (upload) => ({ ...upload, done: true }));
  }

  protected noProgress(): Partial<DirectoryJournalEntry> {
    return { uploads: [] };
  }

  private update(path: string, change: (upload: FileUploadState) => FileUploadState): Promise<void> {
    return this.record({ uploads: this.entry.uploads.map((upload) => (upload.path === path ? change(upload) : upload)) });
  }
}
