import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  QueryCommand,
  UpdateCommand,
  paginateQuery,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { Actor } from "../domain/actor";
import { mapConcurrently } from "../runs";
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
import { MODEL_ENTITY, MODEL_LIST_PARTITION, modelFromItem, modelKey, type KeyMetric, type ModelItem } from "./entities/model";
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
import { RETENTION_INDEX_PARTITION, retentionFromItem, retentionKey, stampApplied, type RetentionItem } from "./entities/retention";
import { policyFromItem, policyKey, type PolicyItem } from "./entities/policy";
import { HISTORY_ENTITY, HISTORY_SORT_PREFIX, historyFromItem, historyKey, type HistoryItem } from "./entities/history";
import {
  CHECKPOINT_ENTITY,
  CHECKPOINT_SORT_PREFIX,
  DEFAULT_CHECKPOINT_INTERVAL,
  checkpointFromItem,
  lastCheckpointKeyAt,
  type CheckpointItem,
} from "./entities/checkpoint";
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
import { approvalFromItem, approvalKey, approvalsPrefix, type ApprovalItem } from "./entities/approval";
import { indexesVersion, metricIndexFromItem, metricIndexItems, metricRange, type MetricIndexItem } from "./entities/metric-index";
import { modelPartition } from "./keys";
import { queryJoinedPage, queryPage, type Page } from "./pages";
import { readItem } from "./item-reader";
import { Turns } from "./turns";
import { unlessConditionFails, type Write } from "./writes";
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

/** A key metric's index read in an order: it lists the versions from `indexedFrom` on (the declaration's). */
export interface IndexOrder extends MetricOrder {
  readonly indexedFrom: number;
}

/** BatchWriteItem takes at most 25 writes, BatchGetItem at most 100 keys. */
const BATCH_WRITES = 25;
type WriteRequests = NonNullable<BatchWriteCommandInput["RequestItems"]>[string];
const BATCH_GET_KEYS = 100;
/** BatchGetItem calls in flight at once: 10,000 keys in 7 rounds, within the SDK's 50 sockets. */
const BATCH_GETS_AT_ONCE = 16;

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

  /** Of these names, those of models that exist and are not being deleted: one BatchGetItem per 100 names. */
  async modelsInService(names: readonly string[]): Promise<Set<string>> {
    const models = await this.batchGet([...new Set(names)].map(modelKey), modelFromItem, { consistent: false });
    return new Set(models.filter((model) => !model.deletion).map((model) => model.name));
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

  async listModels(query: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ModelItem>> {
    const prefix = query.prefix ?? "";
    return queryPage(
      this.dynamo,
      {
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: prefix ? "gsi1pk = :models AND begins_with(gsi1sk, :prefix)" : "gsi1pk = :models",
        ExpressionAttributeValues: { ":models": MODEL_LIST_PARTITION, ...(prefix ? { ":prefix": prefix } : {}) },
      },
      { limit: query.limit, cursor: query.cursor, scope: `models:${prefix}` },
      modelFromItem,
    );
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

  getPolicy(name: string): Promise<PolicyItem | undefined> {
    return this.getConsistent(policyKey(name), policyFromItem);
  }

  getRetention(name: string): Promise<RetentionItem | undefined> {
    return this.getConsistent(retentionKey(name), retentionFromItem);
  }

  /** Up to `limit` models with retention rules, least recently applied first: the RETENTION index partition, one Query. */
  async retentionQueue(limit: number): Promise<RetentionItem[]> {
    const { Items = [] } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :retention",
        ExpressionAttributeValues: { ":retention": RETENTION_INDEX_PARTITION },
        Limit: limit,
      }),
    );
    return Items.map(retentionFromItem);
  }

  /** Records that housekeeping applied the model's rules `at`: the model goes to the end of the queue (its rules, if removed meanwhile, stay removed). */
  async stampRetentionApplied(name: string, at: string): Promise<void> {
    await unlessConditionFails(this.dynamo.send(new UpdateCommand({ ...stampApplied(name, at), TableName: this.tableName })));
  }

  /** Every version of a model, strongly consistent, but those being removed: what a retention plan is decided from. */
  async allVersions(name: string): Promise<VersionItem[]> {
    const versions: VersionItem[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX },
        ConsistentRead: true,
      },
    );
    for await (const page of pages)
      versions.push(...(page.Items ?? []).map(liveVersionFromItem).filter((version) => version !== undefined));
    return versions;
  }

  getApproval(name: string, version: number, stage: string, approver: string): Promise<ApprovalItem | undefined> {
    return this.getConsistent(approvalKey(name, version, stage, approver), approvalFromItem);
  }

  /** Every standing decision on a version for one stage or alias (a handful: read whole, strongly consistent, as a plan counts them). */
  async approvalsFor(name: string, version: number, stage: string): Promise<ApprovalItem[]> {
    const approvals: ApprovalItem[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :approvals)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":approvals": approvalsPrefix(version, stage) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) approvals.push(...(page.Items ?? []).map(approvalFromItem));
    return approvals;
  }

  /**
   * The deletes of up to `limit` items a version owns that its removal's own writes do not name: its
   * approvals, its files' verifications and its verification tally (strongly consistent: its deletion takes them).
   */
  async versionLeftovers(name: string, version: number, limit: number): Promise<Write[]> {
    const keys: Record<string, unknown>[] = [];
    for (const prefix of [approvalsPrefix(version), versionFilesRange(name, version).skPrefix]) {
      if (keys.length >= limit) break;
      const { Items = [] } = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": modelPartition(name), ":prefix": prefix },
          ProjectionExpression: "pk, sk",
          Limit: limit - keys.length,
          ConsistentRead: true,
        }),
      );
      keys.push(...Items);
    }
    if (keys.length < limit && (await this.getVerificationTally(name, version))) keys.push(verificationTallyKey(name, version));
    return keys.map(({ pk, sk }) => ({ Delete: { Key: { pk, sk } } }));
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
   * The newest history entry up to `asOf` (a model item's historySequence) that moved a version into
   * `stage`: what the model looked like when read, not what later changes made of it. Moves of a
   * deleted model the name held before do not count: the search stops at its MODEL_DELETED.
   */
  async latestMoveInto(name: string, stage: string, asOf: number): Promise<HistoryItem | undefined> {
    // The first match, newest first: no page, no cursor, so nothing is read past it.
    const newest = await this.firstMatch({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :asOf",
      FilterExpression: "(#action = :changed AND toStage = :stage) OR #action = :deleted",
      ExpressionAttributeNames: { "#action": "action" },
      ExpressionAttributeValues: {
        ":pk": modelPartition(name),
        ":first": historyKey(name, 1).sk,
        ":asOf": historyKey(name, asOf).sk,
        ":changed": "STAGE_CHANGED",
        ":stage": stage,
        ":deleted": "MODEL_DELETED",
      },
      ScanIndexForward: false,
    });
    return newest && newest.action !== "MODEL_DELETED" ? historyFromItem(newest) : undefined;
  }

  /** Whether some version of the model has `value` in `attribute` now (strongly consistent: a deletion is decided on it). */
  async hasVersionWhere(name: string, attribute: "status" | "protected", value: string | boolean): Promise<boolean> {
    const found = await this.firstMatch({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
      FilterExpression: "#attribute = :value",
      ExpressionAttributeNames: { "#attribute": attribute },
      ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX, ":value": value },
      ProjectionExpression: "pk",
    });
    return found !== undefined;
  }

  /** The first item a filtered Query matches, strongly consistent, read page after page until one does (a filter may leave pages empty). */
  private async firstMatch(input: Omit<QueryCommandInput, "TableName" | "ConsistentRead">): Promise<Record<string, unknown> | undefined> {
    for await (const page of paginateQuery({ client: this.dynamo }, { ...input, TableName: this.tableName, ConsistentRead: true })) {
      const [first] = page.Items ?? [];
      if (first) return first;
    }
    return undefined;
  }

  /** The model's lowest-numbered versions, up to `limit` (strongly consistent: a deletion removes them from the front). */
  async firstVersions(name: string, limit: number): Promise<VersionItem[]> {
    const { Items = [] } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return Items.map(versionFromItem);
  }

  /**
   * The deletes of every item in the model's partition but the model item, its history and its
   * checkpoints: what a model's deletion removes once its versions are gone (aliases, the policy, file
   * verifications, and any kind of item added later). History and checkpoints stay for the audit trail.
   */
  async *partitionLeftovers(name: string): AsyncGenerator<Write> {
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "NOT (#entity IN (:model, :history, :checkpoint))",
        ExpressionAttributeNames: { "#entity": "entity" },
        ExpressionAttributeValues: {
          ":pk": modelPartition(name),
          ":model": MODEL_ENTITY,
          ":history": HISTORY_ENTITY,
          ":checkpoint": CHECKPOINT_ENTITY,
        },
        ProjectionExpression: "pk, sk",
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const { pk, sk } of page.Items ?? []) yield { Delete: { Key: { pk, sk } } };
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

  /**
   * One page of versions by a key metric's index: the range of values the metric's filters allow, in
   * `order`, each index item joined with its version (BatchGetItem) and the other filters applied to
   * the versions read. With `maxExamined`, a page stops after that many index items.
   */
  async listVersionsByMetric(
    name: string,
    order: IndexOrder,
    filters: VersionFilters,
    page: { limit: number; cursor?: string; maxExamined?: number },
  ): Promise<Page<VersionItem>> {
    const { metric } = order;
    const range = metricRange(metric, { min: ownNumber(filters.minMetrics, metric), max: ownNumber(filters.maxMetrics, metric) });
    // A minimum above the maximum matches nothing; DynamoDB refuses such a BETWEEN.
    if (range.low > range.high) return { items: [] };
    const join = async (items: Record<string, unknown>[]) => {
      const entries = items.map(metricIndexFromItem);
      const versions = await this.versionsNumbered(
        name,
        entries.map((entry) => entry.version),
      );
      return entries.map((entry) => {
        const version = versions.get(entry.version);
        return version && indexesVersion(entry, version, order.indexedFrom) && matchesFilters(version, filters) ? version : undefined;
      });
    };
    const othersFilter =
      Object.keys(filters.minMetrics).length + Object.keys(filters.maxMetrics).length > 1 ||
      [filters.stage, filters.status, filters.runId].some((given) => given !== undefined) ||
      Object.keys(filters.tags).length > 0;
    return queryJoinedPage(
      this.dynamo,
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":low": range.low, ":high": range.high },
        ScanIndexForward: !order.descending,
      },
      { ...page, scope: `versions-by:${name}:${JSON.stringify([order, filters])}` },
      { join, filters: othersFilter },
    );
  }

  /** The versions of these numbers that exist and are not being removed, by number. */
  private async versionsNumbered(name: string, numbers: readonly number[]): Promise<Map<number, VersionItem>> {
    const versions = await this.batchGet(
      numbers.map((number) => versionKey(name, number)),
      liveVersionFromItem,
      { consistent: false },
    );
    return new Map(versions.filter((version) => version !== undefined).map((version) => [version.version, version]));
  }

  /** The references of these objects that exist, by digest, read consistently (their generations are conditions). */
  async getArtifactRefs(digests: readonly string[]): Promise<Map<string, ArtifactRefItem>> {
    const refs = await this.batchGet(digests.map(artifactRefKey), artifactRefFromItem, { consistent: true });
    return new Map(refs.map((ref) => [ref.sha256, ref]));
  }

  /** The items of these keys that exist, in no order: BatchGetItem, 100 keys a call, a few calls at once, unprocessed keys asked again. */
  private async batchGet<T>(
    keys: readonly { pk: string; sk: string }[],
    fromItem: (item: Record<string, unknown>) => T,
    { consistent }: { consistent: boolean },
  ): Promise<T[]> {
    const batches = Array.from({ length: Math.ceil(keys.length / BATCH_GET_KEYS) }, (_, i) =>
      keys.slice(i * BATCH_GET_KEYS, (i + 1) * BATCH_GET_KEYS),
    );
    const found = await mapConcurrently(batches, BATCH_GETS_AT_ONCE, async (batch) => {
      const items: T[] = [];
      for (let left = batch; left.length > 0; ) {
        const output = await this.dynamo.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: left, ConsistentRead: consistent } } }),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []).map(fromItem));
        left = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof left;
      }
      return items;
    });
    return found.flat();
  }

  /**
   * Writes the index items of every existing version for these key metrics (BatchWriteItem, its
   * unprocessed items sent again), and deletes those an earlier declaration of them left of versions
   * deleted since (what a model of few versions holds: one item per version number handed out).
   * Idempotent: a version indexed twice holds the same item; a version gone never comes back.
   */
  async indexExistingVersions(name: string, keyMetrics: readonly Pick<KeyMetric, "name">[]): Promise<void> {
    // The index before the versions: an item whose version the later read misses lists one deleted (a registration meanwhile is read).
    const indexed = (await Promise.all(keyMetrics.map((metric) => this.metricIndexKeys(name, metric.name)))).flat();
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ExpressionAttributeNames: { "#version": "version", "#metrics": "metrics" },
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX },
        ProjectionExpression: "#version, #metrics",
        ConsistentRead: true,
      },
    );
    const entries: MetricIndexItem[] = [];
    const existing = new Set<number>();
    for await (const page of pages)
      for (const { version, metrics = {} } of page.Items ?? []) {
        existing.add(version);
        entries.push(...metricIndexItems({ model: name, version, metrics }, keyMetrics));
      }
    await this.batchWrite([
      ...entries.map((Item) => ({ PutRequest: { Item } })),
      ...indexed.filter(({ version }) => !existing.has(version)).map(({ key }) => ({ DeleteRequest: { Key: key } })),
    ]);
  }

  /** The keys of a metric's index items, with the version each lists (strongly consistent). */
  private async metricIndexKeys(name: string, metric: string): Promise<{ key: { pk: string; sk: string }; version: number }[]> {
    const range = metricRange(metric, {});
    const keys: { key: { pk: string; sk: string }; version: number }[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeNames: { "#version": "version" },
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":low": range.low, ":high": range.high },
        ProjectionExpression: "pk, sk, #version",
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const { pk, sk, version } of page.Items ?? []) keys.push({ key: { pk, sk }, version });
    return keys;
  }

  /** Puts and deletes outside any transaction, 25 a request (BatchWriteItem), unprocessed ones sent again. */
  private async batchWrite(requests: WriteRequests): Promise<void> {
    for (let start = 0; start < requests.length; start += BATCH_WRITES) {
      let batch = requests.slice(start, start + BATCH_WRITES);
      while (batch.length > 0) {
        const output = await this.dynamo.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
        batch = output.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }

  /**
   * The model's history in sequence order from entry `after + 1`, a page at a time, for replaying it;
   * the caller stops when it has seen enough. A page holds twice the checkpoint interval: after a
   * checkpoint, fewer entries than that (the interval plus the rest of one commit) are ever replayed.
   */
  async *historyOldestFirst(name: string, after = 0): AsyncGenerator<HistoryItem> {
    const pages = paginateQuery(
      { client: this.dynamo, pageSize: 2 * this.checkpointInterval },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues: {
          ":pk": modelPartition(name),
          ":first": historyKey(name, after + 1).sk,
          ":last": `${HISTORY_SORT_PREFIX}~`, // after every padded sequence
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) yield* (page.Items ?? []).map(historyFromItem);
  }

  /** The newest checkpoint taken at or before `instant`, if any: one Query, newest first, one item. */
  async checkpointAtOrBefore(name: string, instant: string): Promise<CheckpointItem | undefined> {
    const { Items } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":first": CHECKPOINT_SORT_PREFIX, ":last": lastCheckpointKeyAt(instant) },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const [newest] = Items ?? [];
    return newest && checkpointFromItem(newest);
  }
}

/** A map's own number under `key` (a caller's metric map may be named anything, `__proto__` included). */
const ownNumber = (map: Record<string, number>, key: string): number | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

/** The filters listVersions has DynamoDB evaluate, evaluated on a version read: a missing metric, tag or run matches no bound. */
function matchesFilters(version: VersionItem, filters: VersionFilters): boolean {
  const metric = (name: string) => ownNumber(version.metrics, name);
  return (
    (filters.stage === undefined || version.stage === filters.stage) &&
    (filters.status === undefined || version.status === filters.status) &&
    Object.entries(filters.minMetrics).every(([name, min]) => (metric(name) ?? Number.NEGATIVE_INFINITY) >= min) &&
    Object.entries(filters.maxMetrics).every(([name, max]) => (metric(name) ?? Number.POSITIVE_INFINITY) <= max) &&
    Object.entries(filters.tags).every(([tag, value]) => Object.hasOwn(version.tags, tag) && version.tags[tag] === value) &&
    (filters.runId === undefined || version.lineage.runId === filters.runId)
  );
}
