import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { approvalFromItem, approvalsPrefix, type ApprovalItem } from "./entities/approval";
import { datasetIndexPartition, datasetLinkFromItem, type DatasetLinkItem } from "./entities/dataset-link";
import { HISTORY_SORT_PREFIX, historyFromItem, type StoredHistoryItem } from "./entities/history";
import { runIndexPartition, runLinkFromItem, type RunLinkItem } from "./entities/run-link";
import { liveVersionFromItem, stageIndexPartition, type VersionItem } from "./entities/version";
import { FilterBuilder } from "./filter-builder";
import { modelPartition } from "./keys";
import { queryPage, type Page, type PageRequest } from "./pages";

/**
 * The pages only the query function lists: a model's history, a stage's versions, a version's
 * approvals, a run's or a dataset's versions. Apart from the registry store, so that the functions
 * that write carry none of them.
 */
export class Listings {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Newest first; with `version`, only the entries that changed that version or replaced it (previousVersion). */
  history(name: string, about: { version?: number }, page: { limit: number; cursor?: string }): Promise<Page<StoredHistoryItem>> {
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
    return this.inIndexPartition(stageIndexPartition(stage), { ...page, scope: `stage:${stage}` }, liveVersionFromItem);
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

  /** Versions a training run produced, in model name then version order (the sparse index partition RUN#<id>). */
  runVersions(runId: string, page: { limit: number; cursor?: string }): Promise<Page<RunLinkItem>> {
    return this.inIndexPartition(runIndexPartition(runId), { ...page, scope: `run:${runId}` }, runLinkFromItem);
  }

  /** Versions trained on a dataset, in model name then version order (the sparse index partition DATASET#<id>). */
  datasetUsage(datasetId: string, page: { limit: number; cursor?: string }): Promise<Page<DatasetLinkItem>> {
    return this.inIndexPartition(datasetIndexPartition(datasetId), { ...page, scope: `dataset:${datasetId}` }, datasetLinkFromItem);
  }

  /** One partition of the gsi1 index, in sort key order: a stage's, a run's or a dataset's versions. */
  private inIndexPartition<T>(
    partition: string,
    page: PageRequest,
    read: (item: Record<string, unknown>) => T | undefined,
  ): Promise<Page<T>> {
    return queryPage(
      this.dynamo,
      {
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :partition",
        ExpressionAttributeValues: { ":partition": partition },
      },
      page,
      read,
    );
  }
}
