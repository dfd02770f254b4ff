import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { queueEventSource } from "../../client/smoke";

const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/smoke-events";
const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());
beforeEach(() => sqs.reset());

const message = (model: string, handle: string) => ({
  ReceiptHandle: handle,
  Body: JSON.stringify({ "detail-type": "Model Version Registered", detail: { model, version: 1 } }),
});

describe("the smoke test's events queue", () => {
  it("hands back every event received and deletes only its own model's, leaving another run's in the queue", async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [message("smoke_probe_mine", "h1"), message("smoke_probe_other", "h2")] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: "0" }], Failed: [] });

    const events = await queueEventSource(new SQSClient({ region: "eu-west-1" }), QUEUE_URL).receive("smoke_probe_mine");

    expect(events.map((event) => event.detail.model)).toEqual(["smoke_probe_mine", "smoke_probe_other"]);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 2 });
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, Entries: [{ Id: "0", ReceiptHandle: "h1" }] },
    ]);
  });

  it("deletes nothing when none of the events is its model's", async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [message("smoke_probe_other", "h2")] });

    await queueEventSource(new SQSClient({ region: "eu-west-1" }), QUEUE_URL).receive("smoke_probe_mine");

    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });
});
