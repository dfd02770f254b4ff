import { DeleteCommand, UpdateCommand, paginateQuery, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Actor } from "../domain/actor";
import {
  DEFAULT_RETRY_POLICY,
  SILENT_LOG,
  commitModelChange,
  readModel,
  type ChangeContext,
  type ChangeLog,
  type ChangeOutcome,
  type ModelChangePlanner,
  type RetryPolicy,
} from "./model-change";
import type { ModelItem } from "./entities/model";
import {
  VERSION_SORT_PREFIX,
  isBeingRemoved,
  liveVersionFromItem,
  stageIndexPartition,
  versionFromItem,
  versionKey,
  type VersionItem,
} from "./entities/version";
import { semverLabelFromItem, semverLabelKey } from "./entities/semver-label";
import { productionPointerKey, stagePointerFromItem, type StagePointerItem } from "./entities/stage-pointer";
import { aliasFromItem, aliasKey, type AliasItem } from "./entities/alias";
import { DEFAULT_CHECKPOINT_INTERVAL } from "./entities/checkpoint";
import { artifactRefFromItem, artifactRefKey, releaseDiscard, type ArtifactRefItem } from "./entities/artifact";
import { uploadPartsFromItem, uploadPartsKey, type UploadPartsItem } from "./entities/upload-parts";
import {
  fileVerificationFromItem,
  verificationTallyFromItem,
  verificationTallyKey,
  type VerificationTallyItem,
  versionFilesRange,
  type FileVerificationItem,
} from "./entities/file-verification";
import { modelPartition } from "./keys";
import { queryPage, type Page } from "./pages";
import { readItem } from "./item-reader";
import { batchGet } from "./batch-get";
import { Turns } from "./turns";
import { unlessConditionFails } from "./writes";
import { FilterBuilder } from "./filter-builder";
import { manifestChunkFromItem, manifestChunkKey, manifestChunksRange, type ManifestChunkItem } from "./entities/manifest-chunk";

export interface VersionFilters {
  readonly stage?: string;
  readonly status?: string;
  readonly minMetrics: Record<string, number>;
  readonly maxMetrics: Record<string, number>;
  readonly tags: Record<string, string>;
  /** The training run that produced the version (lineage.runId). */
  readonly runId?: string;
  /** By a key metric's value, instead of newest first. */
  readonly sort?: MetricOrder;
}

export interface MetricOrder {
  readonly metric: string;
  readonly descending: boolean;
}

export interface ChangeOptions {
  /** A step of the model's deletion: the one kind of change a model being deleted takes. */
  readonly continuesDeletion?: boolean;
}

export interface RegistryStoreOptions {
  /** How long a contended change keeps re-planning (default: 25 s, decorrelated jitter scaled by the measured attempt). */
  readonly retry?: RetryPolicy;
  /** Where retries and conflicts of changes are logged (default: nowhere). */
  readonly log?: ChangeLog;
  /** A checkpoint of each model's stages and aliases every this many history entries (default: 100). */
  readonly checkpointInterval?: number;
}

/** The registry's DynamoDB access patterns; each is one GetItem, one Query or one transaction. Every item read is checked by its entity's `fromItem`. */
export class RegistryStore {
  private readonly retry: RetryPolicy;
  private readonly log: ChangeLog;
  private readonly checkpointInterval: number;
  private readonly turns = new Turns();

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date,
    private readonly newEventId: () => string,
    options: RegistryStoreOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.log = options.log ?? SILENT_LOG;
    this.checkpointInterval = options.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL;
  }

  /** The model, unless it is being deleted or deleted (see getModelRecord). */
  async getModel(name: string): Promise<ModelItem | undefined> {
    const item = await this.getModelRecord(name);
    return item && !item.deletion ? item : undefined;
  }

  /** The model item as stored: a model being deleted, or a deleted model's tombstone, too. */
  getModelRecord(name: string): Promise<ModelItem | undefined> {
    return readModel({ dynamo: this.dynamo, tableName: this.tableName }, name);
  }

  /** One change of a model (see commitModelChange), for plans whose guarded writes name no conflict. */
  async change<T>(who: Actor, name: string, plan: ModelChangePlanner<T>, options: ChangeOptions = {}): Promise<T> {
    const outcome = await this.changeOrConflict(who, name, plan, options);
    // A plan that names no conflict (C = never) cannot end in one: `conflict` is never.
    return "answer" in outcome ? outcome.answer : outcome.conflict;
  }

  /** One change of a model, ending with its answer or with the conflict a guarded write names; the caller says what the conflict means. */
  changeOrConflict<T, C>(
    who: Actor,
    name: string,
    plan: ModelChangePlanner<T, C>,
    options: ChangeOptions = {},
  ): Promise<ChangeOutcome<T, C>> {
    const context: ChangeContext = {
      dynamo: this.dynamo,
      tableName: this.tableName,
      now: this.clock,
      newEventId: this.newEventId,
      who,
      retry: this.retry,
      turns: this.turns,
      log: this.log,
      checkpointInterval: this.checkpointInterval,
      continuesDeletion: options.continuesDeletion,
    };
    return commitModelChange(context, name, async (current, now) => plan(current && (await this.withLatestReady(current)), now));
  }

  /** Models stored before `latestReadyVersion` was get it on their next change, read from their versions inside that change's plan. */
  private async withLatestReady(model: ModelItem): Promise<ModelItem> {
    if (model.latestReadyVersion !== undefined) return model;
    return { ...model, latestReadyVersion: (await this.newestReadyVersion(model.name)) ?? 0 };
  }

  /**
   * The number of the model's newest READY version, leaving out `except` (a version being deleted) and versions being removed.
   * Strongly consistent: a change's plan reads it, and the model's revision guards what it saw.
   */
  async newestReadyVersion(name: string, except?: number): Promise<number | undefined> {
    const pages = paginateQuery(
      { client: this.dynamo, pageSize: 100 },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        FilterExpression: except === undefined ? "#status = :ready" : "#status = :ready AND #version <> :except",
        ExpressionAttributeNames: { "#status": "status", ...(except === undefined ? {} : { "#version": "version" }) },
        ExpressionAttributeValues: {
          ":pk": modelPartition(name),
          ":versions": VERSION_SORT_PREFIX,
          ":ready": "READY",
          ...(except === undefined ? {} : { ":except": except }),
        },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      const first = (page.Items ?? []).map(liveVersionFromItem).find((version) => version !== undefined);
      if (first) return first.version;
    }
    return undefined;
  }

  /** The version, unless a deletion is taking its manifest away (then only that deletion reads it, with getVersionRecord). */
  async getVersion(name: string, version: number): Promise<VersionItem | undefined> {
    const item = await this.getVersionRecord(name, version);
    return item && !isBeingRemoved(item) ? item : undefined;
  }

  /** The version item as stored, one being deleted too. */
  getVersionRecord(name: string, version: number): Promise<VersionItem | undefined> {
    return this.getConsistent(versionKey(name, version), versionFromItem);
  }

  getManifestChunk(name: string, version: number, chunk: number): Promise<ManifestChunkItem | undefined> {
    return this.getConsistent(manifestChunkKey(name, version, chunk), manifestChunkFromItem);
  }

  /** A version's manifest chunks in order, from chunk `from` on, up to `count` of them (all when left out). */
  async listManifestChunks(name: string, version: number, from = 0, count = Number.POSITIVE_INFINITY): Promise<ManifestChunkItem[]> {
    const range = manifestChunksRange(name, version);
    const chunks: ManifestChunkItem[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: { ":pk": range.pk, ":from": manifestChunkKey(name, version, from).sk, ":to": `${range.skPrefix}~` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      chunks.push(...(page.Items ?? []).map(manifestChunkFromItem));
      if (chunks.length >= count) break;
    }
    return chunks.slice(0, count);
  }

  getVerificationTally(name: string, version: number): Promise<VerificationTallyItem | undefined> {
    return this.getConsistent(verificationTallyKey(name, version), verificationTallyFromItem);
  }

  /** Who else declares these bytes, and whether the bucket's object was verified (consistent: it decides whether to skip an upload or delete the object). */
  getArtifactRef(sha256: string): Promise<ArtifactRefItem | undefined> {
    return this.getConsistent(artifactRefKey(sha256), artifactRefFromItem);
  }

  /**
   * Ends our claim on deleting an object, once S3 deleted it: the ref goes if nothing references it
   * any more, else it stays unverified. A claim someone took over after it expired is theirs to end.
   */
  async releaseArtifactDiscard(sha256: string, generation: number): Promise<void> {
    const { removeUnreferenced, release } = releaseDiscard(sha256, generation);
    if (await unlessConditionFails(this.dynamo.send(new DeleteCommand({ ...removeUnreferenced, TableName: this.tableName })))) return;
    await unlessConditionFails(this.dynamo.send(new UpdateCommand({ ...release, TableName: this.tableName })));
  }

  /** The part digests declared for a version's multipart upload. */
  getUploadParts(name: string, version: number, file?: number): Promise<UploadPartsItem | undefined> {
    return this.getConsistent(uploadPartsKey(name, version, file), uploadPartsFromItem);
  }

  /** Every file of a version's verification (one per object it uploads: up to 10,000, paged). */
  async listFileVerifications(name: string, version: number): Promise<FileVerificationItem[]> {
    const range = versionFilesRange(name, version);
    const files: FileVerificationItem[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :files)",
        ExpressionAttributeValues: { ":pk": range.pk, ":files": range.skPrefix },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) files.push(...(page.Items ?? []).map(fileVerificationFromItem));
    return files;
  }

  async findVersionBySemver(name: string, semver: string): Promise<number | undefined> {
    return (await this.getConsistent(semverLabelKey(name, semver), semverLabelFromItem))?.version;
  }

  /** What is in Production, with the version's view: one GetItem (the resolve path). */
  getProductionPointer(name: string): Promise<StagePointerItem | undefined> {
    return this.getConsistent(productionPointerKey(name), stagePointerFromItem);
  }

  getAlias(name: string, alias: string): Promise<AliasItem | undefined> {
    return this.getConsistent(aliasKey(name, alias), aliasFromItem);
  }

  private getConsistent<T>(key: { pk: string; sk: string }, fromItem: (item: Record<string, unknown>) => T): Promise<T | undefined> {
    return readItem({ dynamo: this.dynamo, tableName: this.tableName }, key, fromItem);
  }

  /** The highest-numbered version of a model in a stage: the stage index partition, read backwards within the model. */
  async newestInStage(name: string, stage: string): Promise<VersionItem | undefined> {
    const newest = await queryPage(
      this.dynamo,
      {
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :stage AND begins_with(gsi1sk, :model)",
        ExpressionAttributeValues: { ":stage": stageIndexPartition(stage), ":model": `${name}#` },
        ScanIndexForward: false,
      },
      { limit: 1, scope: `newest-in-stage:${stage}:${name}` },
      liveVersionFromItem,
    );
    return newest.items[0];
  }

  /**
   * Newest first unless `oldestFirst`; filters are evaluated by DynamoDB on the model's partition, pages stay exact. With
   * `maxExamined`, a page stops after reading that many versions, with a cursor to go on from.
   */
  async listVersions(
    name: string,
    filters: VersionFilters,
    page: { limit: number; cursor?: string; oldestFirst?: boolean; maxExamined?: number },
  ): Promise<Page<VersionItem>> {
    const filter = new FilterBuilder();
    if (filters.stage) filter.add((v) => `#stage = ${v(filters.stage)}`, { "#stage": "stage" });
    if (filters.status) filter.add((v) => `#status = ${v(filters.status)}`, { "#status": "status" });
    for (const [metric, min] of Object.entries(filters.minMetrics)) filter.addNested("metrics", metric, ">=", min);
    for (const [metric, max] of Object.entries(filters.maxMetrics)) filter.addNested("metrics", metric, "<=", max);
    for (const [tag, value] of Object.entries(filters.tags)) filter.addNested("tags", tag, "=", value);
    if (filters.runId !== undefined) filter.addNested("lineage", "runId", "=", filters.runId);

    return queryPage(
      this.dynamo,
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ScanIndexForward: page.oldestFirst === true,
        ...filter.build({ ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX }),
      },
      { ...page, scope: `versions:${name}:${page.oldestFirst ? "oldest" : "newest"}:${JSON.stringify(filters)}` },
      liveVersionFromItem,
    );
  }

  /** Which of these version numbers the model has (not being removed), read consistently in one batch. */
  async existingVersions(name: string, versions: readonly number[]): Promise<Set<number>> {
    // BatchGetItem refuses a key asked twice, and a lineage may name a parent twice.
    const keys = [...new Set(versions)].map((version) => versionKey(name, version));
    const found = await batchGet({ dynamo: this.dynamo, tableName: this.tableName }, keys, liveVersionFromItem, {
      consistent: true,
      backoff: this.retry,
    });
    return new Set(found.flatMap((version) => (version ? [version.version] : [])));
  }

  /** The references of these objects that exist, by digest, read consistently (their generations are conditions). */
  async getArtifactRefs(digests: readonly string[]): Promise<Map<string, ArtifactRefItem>> {
    const refs = await batchGet({ dynamo: this.dynamo, tableName: this.tableName }, digests.map(artifactRefKey), artifactRefFromItem, {
      consistent: true,
      backoff: this.retry,
    });
    return new Map(refs.map((ref) => [ref.sha256, ref]));
  }
}
