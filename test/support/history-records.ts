import { marshall } from "@aws-sdk/util-dynamodb";
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord } from "aws-lambda";
import type { HistoryDraft } from "../../shared/domain/history";
import { newHistoryItem, type HistoryItem } from "../../shared/store/entities/history";

/** A committed history item as the commit writes it. */
export function historyItem(
  draft: HistoryDraft,
  fields: Partial<Pick<HistoryItem, "model" | "sequence" | "eventId" | "actor" | "occurredAt">> = {},
): HistoryItem {
  const sequence = fields.sequence ?? 1;
  return newHistoryItem(draft, {
    model: fields.model ?? "fraud_detector",
    sequence,
    eventId: fields.eventId ?? `event-${sequence}`,
    actor: fields.actor ?? "arn:aws:sts::123456789012:assumed-role/release-ci/run-42",
    requestId: "req-1",
    occurredAt: fields.occurredAt ?? "2026-11-22T10:00:00.000Z",
  });
}

/** A DynamoDB Streams record (as Lambda delivers it) carrying `image` as its new image. */
export function streamRecord(item: object, sequenceNumber: string, eventName: DynamoDBRecord["eventName"] = "INSERT"): DynamoDBRecord {
  const image = item as Record<string, unknown>;
  return {
    eventID: `id-${sequenceNumber}`,
    eventName,
    eventSource: "aws:dynamodb",
    awsRegion: "us-east-1",
    eventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/registry/stream/2026-11-22T00:00:00.000",
    dynamodb: {
      Keys: marshall({ pk: image.pk, sk: image.sk }) as Record<string, LambdaAttributeValue>,
      NewImage: marshall(image, { removeUndefinedValues: true }) as Record<string, LambdaAttributeValue>,
      SequenceNumber: sequenceNumber,
      StreamViewType: "NEW_IMAGE",
    },
  };
}
