import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { commitModelChange, readModel, type ChangeContext, type ModelChangePlanner } from "./model-change";
import { MODEL_LIST_PARTITION, type ModelItem } from "./entities/model";
import { VERSION_SORT_PREFIX, versionKey, type VersionItem } from "./entities/version";
import { semverLabelKey, type SemverLabelItem } from "./entities/semver-label";
import { modelPartition } from "./keys";
import { queryPage, type Page } from "./pages";

export interface VersionFilters {
  readonly stage?: string;
  readonly status?: string;
  readonly minMetrics: Record<string, number>;
  readonly maxMetrics: Record<string, number>;
  readonly tags: Record<string, string>;
}

/** Who is changing things, and under which request: stamped on every history entry. */
export interface Actor {
  readonly actor: string;
  readonly requestId: string;
}

/** The registry's DynamoDB access patterns; each is one GetItem, one Query or one transaction. */
export class RegistryStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly clock: () => Date,
    private readonly newEventId: () => string,
  ) {}

  getModel(name: string): Promise<ModelItem | undefined> {
    return readModel({ dynamo: this.dynamo, tableName: this.tableName }, name);
  }

  change<T>(who: Actor, name: string, plan: ModelChangePlanner<T>): Promise<T> {
    const context: ChangeContext = { dynamo: this.dynamo, tableName: this.tableName, now: this.clock, newEventId: this.newEventId, ...who };
    return commitModelChange(context, name, plan);
  }

  async listModels(query: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ModelItem>> {
    const prefix = query.prefix ?? "";
    return queryPage<ModelItem>(
      this.dynamo,
      {
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: prefix ? "gsi1pk = :models AND begins_with(gsi1sk, :prefix)" : "gsi1pk = :models",
        ExpressionAttributeValues: { ":models": MODEL_LIST_PARTITION, ...(prefix ? { ":prefix": prefix } : {}) },
      },
      { limit: query.limit, cursor: query.cursor, scope: `models:${prefix}` },
    );
  }

  async getVersion(name: string, version: number): Promise<VersionItem | undefined> {
    const { Item } = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: versionKey(name, version), ConsistentRead: true }));
    return Item as VersionItem | undefined;
  }

  async findVersionBySemver(name: string, semver: string): Promise<number | undefined> {
    const { Item } = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: semverLabelKey(name, semver) }));
    return (Item as SemverLabelItem | undefined)?.version;
  }

  /** Newest first; filters are evaluated by DynamoDB on the model's partition, pages stay exact. */
  async listVersions(name: string, filters: VersionFilters, page: { limit: number; cursor?: string }): Promise<Page<VersionItem>> {
    const filter = new FilterBuilder();
    if (filters.stage) filter.add((v) => `#stage = ${v(filters.stage)}`, { "#stage": "stage" });
    if (filters.status) filter.add((v) => `#status = ${v(filters.status)}`, { "#status": "status" });
    for (const [metric, min] of Object.entries(filters.minMetrics)) filter.addNested("metrics", metric, ">=", min);
    for (const [metric, max] of Object.entries(filters.maxMetrics)) filter.addNested("metrics", metric, "<=", max);
    for (const [tag, value] of Object.entries(filters.tags)) filter.addNested("tags", tag, "=", value);

    return queryPage<VersionItem>(
      this.dynamo,
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ScanIndexForward: false,
        ...filter.build({ ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX }),
      },
      { ...page, scope: `versions:${name}:${JSON.stringify(filters)}` },
    );
  }
}

/** Builds a FilterExpression with placeholder names and values, so metric and tag names need no escaping. */
class FilterBuilder {
  private readonly clauses: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};

  add(clause: (value: (v: unknown) => string) => string, names: Record<string, string>): void {
    Object.assign(this.names, names);
    this.clauses.push(clause((v) => this.value(v)));
  }

  addNested(map: string, key: string, operator: ">=" | "<=" | "=", value: unknown): void {
    const n = Object.keys(this.names).length;
    this.add((v) => `#map${n}.#key${n} ${operator} ${v(value)}`, { [`#map${n}`]: map, [`#key${n}`]: key });
  }

  build(keyValues: Record<string, unknown>) {
    if (this.clauses.length === 0) return { ExpressionAttributeValues: keyValues };
    return {
      FilterExpression: this.clauses.join(" AND "),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: { ...keyValues, ...this.values },
    };
  }

  private value(v: unknown): string {
    const placeholder = `:f${Object.keys(this.values).length}`;
    this.values[placeholder] = v;
    return placeholder;
  }
}
