/** A minimal handler's answer to the bench's first event: a stream batch with nothing to redeliver, or a JSON 200. */
export const handler = async (event: object) =>
  "Records" in event
    ? { batchItemFailures: [] }
    : { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"status":"ok"}' };
