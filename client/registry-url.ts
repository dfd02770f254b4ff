import { UsageError } from "./errors";

/** `npm start`'s registry: where the client goes when told nowhere else. */
export const DEFAULT_REGISTRY_URL = "http://127.0.0.1:3000";

/**
 * The registry to call: the URL given, else REGISTRY_URL, else `npm start`'s. Anything but an
 * http(s) URL is refused before any request (`127.0.0.1:3000` parses as a URL of scheme `127.0.0.1:`).
 */
export function registryUrl(given: string | undefined, env: NodeJS.ProcessEnv): URL {
  const text = given ?? env.REGISTRY_URL ?? DEFAULT_REGISTRY_URL;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url && (url.protocol === "http:" || url.protocol === "https:")) return url;
  const source = given === undefined ? "REGISTRY_URL" : "--url";
  throw new UsageError(
    `${source} '${text}' is not a registry URL: write it with its scheme, e.g. ${DEFAULT_REGISTRY_URL} (npm start) or https://<api id>.execute-api.<region>.amazonaws.com.`,
  );
}
