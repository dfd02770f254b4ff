/**
 * How large a request may be once it is a Lambda event. API Gateway (HTTP API) takes a payload of
 * up to 10 MB ("Quotas for configuring and running an HTTP API"), but it invokes the function
 * synchronously, and Lambda documents a synchronous invocation's payload as at most 6 MB, request
 * and response each ("Lambda quotas"; Invoke: "For synchronous invocations, the maximum payload
 * size is 6 MB"). The payload is the whole event: the body as a JSON string (quotes and backslashes
 * escaped, or base64), the headers and the request context. A larger request is refused before the
 * function runs, so the registry never sees it and cannot say why.
 */

/** Lambda's "6 MB", read as 6,000,000 bytes: the smaller reading, so a request that fits here fits there too. */
export const MAX_INVOCATION_PAYLOAD_BYTES = 6_000_000;

/**
 * Room left in the event for everything but the body: API Gateway takes at most 10,240 bytes of
 * request line and headers (HTTP API quotas), and the request context adds about 1 KB.
 */
const EVENT_ENVELOPE_BYTES = 16 * 1024;

/** The most bytes a JSON body may take as the event's `body` string (see eventBodyBytes). */
export const MAX_EVENT_BODY_BYTES = MAX_INVOCATION_PAYLOAD_BYTES - EVENT_ENVELOPE_BYTES;

/** What a JSON body takes in the event: as a JSON string, its quotes and backslashes escaped. */
export function eventBodyBytes(body: string): number {
  return Buffer.byteLength(JSON.stringify(body));
}

/** What to do about a request over the limit: artifacts never travel in a request, and a manifest shrinks. */
export const OVERSIZED_REQUEST_ADVICE =
  "A version's manifest (`files`) shrinks with fewer files per version (pack small files into an archive) or shorter paths; artifacts go to their presigned URLs, never in a request.";
