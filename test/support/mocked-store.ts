import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { takeTicketUpdate } from "../../shared/store/entities/turn-tickets";
import { newModelItem, type ModelItem } from "../../shared/store/entities/model";
import { RegistryStore, type RegistryStoreOptions } from "../../shared/store/registry-store";

/** The fixtures unit tests share when they drive the store over a mocked DynamoDB document client. */

/** The one instant the store's clock reads in these tests. */
export const FIXED_NOW = new Date("2026-11-22T10:00:00.000Z");

/** A store over `documents` (usually mocked) whose clock and event ids never move. */
export const fixedStore = (documents: DynamoDBDocumentClient, options: RegistryStoreOptions = {}): RegistryStore =>
  new RegistryStore(
    documents,
    "registry",
    () => FIXED_NOW,
    () => "event-id",
    options,
  );

/** A stored model item of `fraud_detector`: a fresh one with `fields` set over it. */
export const modelItem = (fields: Partial<ModelItem>): ModelItem => ({
  ...newModelItem({ name: "fraud_detector", actor: "someone", now: "2026-01-01T00:00:00.000Z" }),
  ...fields,
});

/** What DynamoDB throws when a transaction fails, with one cancellation reason per item in order. */
export const transactionCancelled = (codes: string[]): TransactionCanceledException =>
  new TransactionCanceledException({
    message: "Transaction cancelled",
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/**
 * Hands every change over the mocked client the first turn ticket of its model's queue
 * (store/turn-queue.ts): nobody is ahead of it, so it commits on the model as it read it.
 */
export function firstInLine(dynamo: AwsClientStub<DynamoDBDocumentClient>): void {
  dynamo.on(UpdateCommand, { UpdateExpression: takeTicketUpdate("any").UpdateExpression }).resolves({ Attributes: { issued: 1 } });
}
