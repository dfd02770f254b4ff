import { RegistryApiError } from "./errors";
import type { Transport } from "./sdk";

/** A presigned S3 request as the registry hands it out: send the headers exactly, the URL signs them. */
export interface PresignedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** S3 refused a presigned URL (403): it expired, or its signing session did; ask the registry for a fresh one. */
export class ExpiredUrlError extends Error {}

/** Sends one presigned request; a non-2xx answer becomes an error carrying S3's own `<Code>`. */
export async function sendPresigned(
  transport: Transport,
  request: PresignedRequest,
  init: { method: string; body?: Uint8Array; headers?: Record<string, string>; signal?: AbortSignal },
): Promise<Response> {
  const response = await transport.fetch(request.url, {
    method: init.method,
    headers: { ...request.headers, ...init.headers },
    body: init.body,
    signal: init.signal,
  });
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  if (response.status === 403) throw new ExpiredUrlError(`S3 refused the presigned URL (403): ${s3Code(text) ?? "AccessDenied"}`);
  throw s3Error(response, text);
}

function s3Error(response: Response, text: string): RegistryApiError {
  const code = s3Code(text) ?? `Http${response.status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? response.statusText;
  return new RegistryApiError(
    response.status,
    code,
    `S3: ${code}: ${message}`,
    undefined,
    response.headers.get("x-amz-request-id") ?? undefined,
  );
}

const s3Code = (xml: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
