import { QueryCommand, paginateQuery, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { approvalFromItem, approvalsPrefix, type ApprovalItem } from "./entities/approval";
import {
  CHECKPOINT_SORT_PREFIX,
  DEFAULT_CHECKPOINT_INTERVAL,
  checkpointFromItem,
  lastCheckpointKeyAt,
  type CheckpointItem,
} from "./entities/checkpoint";
import { datasetIndexPartition, datasetLinkFromItem, type DatasetLinkItem } from "./entities/dataset-link";
import { HISTORY_SORT_PREFIX, historyFromItem, historyKey, type HistoryItem, type StoredHistoryItem } from "./entities/history";
import { indexesVersion, metricIndexFromItem, metricRange } from "./entities/metric-index";
import { MODEL_LIST_PARTITION, modelFromItem, modelKey, type ModelItem } from "./entities/model";
import { runIndexPartition, runLinkFromItem, type RunLinkItem } from "./entities/run-link";
import { liveVersionFromItem, stageIndexPartition, versionKey, type VersionItem } from "./entities/version";
import { batchGet } from "./batch-get";
import { FilterBuilder } from "./filter-builder";
import { modelPartition } from "./keys";
import { eachRead, queryJoinedPage, queryPage, readThenPresent, type Page, type PageJoin, type PageRequest } from "./pages";
import type { MetricOrder, VersionFilters } from "./registry-store";

/** A key metric's index read in an order: it lists the versions from `indexedFrom` on (the declaration's). */
export interface IndexOrder extends MetricOrder {
  readonly indexedFrom: number;
}

/**
 * The pages only the query function lists and the reads only it makes: the models, a model's history (and its
 * replay up to an instant), a stage's versions, a version's approvals, a run's or a dataset's
 * versions, versions by a key metric, which of some models are in service. Apart from the registry
 * store, so that the functions that write carry none of them.
 */
export class Listings {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The interval the store takes checkpoints at: a replay of history reads pages of twice that. */
    private readonly checkpointInterval = DEFAULT_CHECKPOINT_INTERVAL,
  ) {}

  /**
   * One page of models in name order, optionally those whose names start with `prefix`, each as
   * `present` makes it (in order; with what it reads of each, such as its latest versions): the
   * page holds as many as fit its bytes as presented.
   */
  listModels<T>(
    query: { prefix?: string; limit: number; cursor?: string },
    present: (models: ModelItem[]) => Promise<T[]>,
  ): Promise<Page<T>> {
    const prefix = query.prefix ?? "";
    return queryJoinedPage(
      this.dynamo,
      {
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: prefix ? "gsi1pk = :models AND begins_with(gsi1sk, :prefix)" : "gsi1pk = :models",
        ExpressionAttributeValues: { ":models": MODEL_LIST_PARTITION, ...(prefix ? { ":prefix": prefix } : {}) },
      },
      { limit: query.limit, cursor: query.cursor, scope: `models:${prefix}` },
      readThenPresent(modelFromItem, present),
    );
  }

  /**
   * Newest first; with `version`, only the entries that changed that version or replaced it (previousVersion).
   * With `maxExamined`, a page stops after reading that many entries, with a cursor to go on from.
   */
  history(
    name: string,
    about: { version?: number },
    page: { limit: number; cursor?: string; maxExamined?: number },
  ): Promise<Page<StoredHistoryItem>> {
    const filter = new FilterBuilder();
    const { version } = about;
    if (version !== undefined)
      filter.add((v) => `#version = ${v(version)} OR #previous = ${v(version)}`, { "#version": "version", "#previous": "previousVersion" });
    return queryPage(
      this.dynamo,
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :history)",
        ScanIndexForward: false,
        ...filter.build({ ":pk": modelPartition(name), ":history": HISTORY_SORT_PREFIX }),
      },
      { ...page, scope: `history:${name}:${version ?? ""}` },
      historyFromItem,
    );
  }

  /** Every model's versions in a stage, in model name then version order. */
  stage(stage: string, page: { limit: number; cursor?: string }): Promise<Page<VersionItem>> {
    return this.inIndexPartition(stageIndexPartition(stage), { ...page, scope: `stage:${stage}` }, eachRead(liveVersionFromItem));
  }

  /** A version's approvals in stage then approver order, optionally for one stage or alias. */
  approvals(
    name: string,
    about: { version: number; stage?: string },
    page: { limit: number; cursor?: string },
  ): Promise<Page<ApprovalItem>> {
    const prefix = approvalsPrefix(about.version, about.stage);
    return queryPage(
      this.dynamo,
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :approvals)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":approvals": prefix },
      },
      { ...page, scope: `approvals:${name}:${prefix}` },
      approvalFromItem,
    );
  }

  /**
   * Versions a training run produced, in model name then version order (the sparse index partition
   * RUN#<id>), each link as `present` makes it (in order; undefined leaves it out): the page holds
   * as many as fit its bytes as presented.
   */
  runVersions<T>(
    runId: string,
    page: { limit: number; cursor?: string },
    present: (links: RunLinkItem[]) => Promise<(T | undefined)[]>,
  ): Promise<Page<T>> {
    return this.inIndexPartition(runIndexPartition(runId), { ...page, scope: `run:${runId}` }, readThenPresent(runLinkFromItem, present));
  }

  /** Versions trained on a dataset, in model name then version order (the sparse index partition DATASET#<id>). */
  datasetUsage(datasetId: string, page: { limit: number; cursor?: string }): Promise<Page<DatasetLinkItem>> {
    return this.inIndexPartition(
      datasetIndexPartition(datasetId),
      { ...page, scope: `dataset:${datasetId}` },
      eachRead(datasetLinkFromItem),
    );
  }

  /** One partition of the gsi1 index, in sort key order: a stage's, a run's or a dataset's versions. */
  private inIndexPartition<T>(partition: string, page: PageRequest, join: PageJoin<T>): Promise<Page<T>> {
    return queryJoinedPage(
      this.dynamo,
      {
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :partition",
        ExpressionAttributeValues: { ":partition": partition },
      },
      page,
      join,
    );
  }

  /** Of these names, those of models that exist and are not being deleted: one BatchGetItem per 100 names. */
  async modelsInService(names: readonly string[]): Promise<Set<string>> {
    const models = await batchGet({ dynamo: this.dynamo, tableName: this.tableName }, [...new Set(names)].map(modelKey), modelFromItem, {
      consistent: false,
    });
    return new Set(models.filter((model) => !model.deletion).map((model) => model.name));
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
    const versions = await batchGet(
      { dynamo: this.dynamo, tableName: this.tableName },
      numbers.map((number) => versionKey(name, number)),
      liveVersionFromItem,
      { consistent: false },
    );
    return new Map(versions.filter((version) => version !== undefined).map((version) => [version.version, version]));
  }

  /**
   * The model's history in sequence order from entry `after + 1` (through entry `through`, if given), a page
   * at a time, for replaying it; the caller stops when it has seen enough. A page holds twice the checkpoint
   * interval: after a checkpoint, fewer entries than that (the interval plus the rest of one commit) are ever replayed.
   */
  async *historyOldestFirst(name: string, after = 0, through?: number): AsyncGenerator<HistoryItem> {
    const pages = paginateQuery(
      { client: this.dynamo, pageSize: 2 * this.checkpointInterval },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues: {
          ":pk": modelPartition(name),
          ":first": historyKey(name, after + 1).sk,
          ":last": through === undefined ? `${HISTORY_SORT_PREFIX}~` : historyKey(name, through).sk, // '~': after every padded sequence
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) yield* (page.Items ?? []).map(historyFromItem);
  }

  /**
   * The newest checkpoint taken at or before `instant` and the oldest taken after it, either may be
   * missing: two Queries at once, one item each. History past the later one is all later than `instant`.
   */
  async checkpointsAround(name: string, instant: string): Promise<{ atOrBefore?: CheckpointItem; after?: CheckpointItem }> {
    const boundary = lastCheckpointKeyAt(instant); // no checkpoint's key: it falls between those at or before and those after
    const [atOrBefore, after] = await Promise.all([
      this.firstCheckpoint(name, CHECKPOINT_SORT_PREFIX, boundary, "newest"),
      this.firstCheckpoint(name, boundary, `${CHECKPOINT_SORT_PREFIX}~`, "oldest"),
    ]);
    return { atOrBefore, after };
  }

  /** The newest or the oldest checkpoint whose key lies between `first` and `last`, if any. */
  private async firstCheckpoint(
    name: string,
    first: string,
    last: string,
    which: "newest" | "oldest",
  ): Promise<CheckpointItem | undefined> {
    const { Items } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":first": first, ":last": last },
        ScanIndexForward: which === "oldest",
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const [found] = Items ?? [];
    return found && checkpointFromItem(found);
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
