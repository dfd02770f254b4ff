import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { checkInVerification } from "./entities/version";
import {
  advanceFileVerification,
  countVerifiedFile,
  fileVerificationFromItem,
  fileVerificationKey,
  holdsAdvance,
  putFirstFileVerification,
  type FileVerificationItem,
} from "./entities/file-verification";
import { readItem } from "./item-reader";
import { cancellationCodes } from "./model-change";
import { inTable, unlessConditionFails, type Write } from "./writes";

/**
 * The verifier's writes of a file's progress, kept apart from the registry store: only the function
 * that verifies files carries them. Reads of every file of a version stay in the store (completing
 * an upload and showing a verification's progress use them).
 */
export class FileVerifications {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** One file's verification: a manifest's file by its index, the single artifact by its name. */
  get(name: string, version: number, path: string, index?: number): Promise<FileVerificationItem | undefined> {
    return readItem(
      { dynamo: this.dynamo, tableName: this.tableName },
      fileVerificationKey(name, version, path, index),
      fileVerificationFromItem,
    );
  }

  /**
   * Writes a file's verification as its first task starts it, while its version is still in that
   * verification: that one, or the one a duplicate task of the same verification wrote first;
   * undefined when the version left the verification or a later one holds the file.
   */
  async start(file: FileVerificationItem): Promise<FileVerificationItem | undefined> {
    try {
      await this.writeTogether([checkInVerification(file.model, file.version, file.startedAt), { Put: putFirstFileVerification(file) }]);
      return file;
    } catch (error) {
      // A transaction in progress on either item: the delivery fails, and is delivered again.
      if (!(error instanceof TransactionCanceledException) || cancellationCodes(error).includes("TransactionConflict")) throw error;
    }
    const stored = await this.get(file.model, file.version, file.path, file.index);
    return stored?.startedAt === file.startedAt ? stored : undefined;
  }

  /**
   * Moves a file's verification on from where `seen` left it, saving the progress the task run
   * `savedBy` made; false when another task moved it first (or it started over). This run's own
   * save, applied but retried after its answer was lost, counts as saved.
   */
  async advance(
    seen: FileVerificationItem,
    next: Parameters<typeof advanceFileVerification>[1],
    now: string,
    savedBy: string,
  ): Promise<boolean> {
    const update = advanceFileVerification(seen, next, now, savedBy);
    if (await unlessConditionFails(this.dynamo.send(new UpdateCommand({ ...update, TableName: this.tableName })))) return true;
    return holdsAdvance(await this.get(seen.model, seen.version, seen.path, seen.index), seen, next, savedBy);
  }

  /**
   * Counts a file proven on the version's tally, marking its object verified (`markVerified`) in the
   * same write: `counted`; `already` when it was counted before (a redelivered task); `stale` when the
   * tally is another verification's; `replaced` when the object's deletion was claimed or released
   * since the file's reference was read.
   */
  async countVerified(file: FileVerificationItem, markVerified: Write): Promise<"counted" | "already" | "stale" | "replaced"> {
    try {
      await this.writeTogether([...countVerifiedFile(file), markVerified]);
      return "counted";
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [fileCode, tallyCode, refCode] = cancellationCodes(error);
      if (fileCode === "ConditionalCheckFailed") return "already";
      if (tallyCode === "ConditionalCheckFailed") return "stale";
      if (refCode === "ConditionalCheckFailed") return "replaced";
      throw error;
    }
  }

  /** Writes that belong to no model change (each conditioned on what it relies on), all or none: at most 100. */
  private async writeTogether(writes: readonly Write[]): Promise<void> {
    await this.dynamo.send(new TransactWriteCommand({ TransactItems: writes.map((write) => inTable(this.tableName, write)) }));
  }
}
