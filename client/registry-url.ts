import { UsageError } from "./errors";

/** `npm start`'s registry: where the client goes when told nowhere else. */
export const DEFAULT_REGISTRY_URL = "http://127.0.0.1:3000";

/**
 * The registry to call: the URL given, else REGISTRY_URL, else `npm start`'s. Anything but an
 * http(s) URL is refused before any request (`127.0.0.1:3000` parses as a URL of scheme `127.0.0.1:`),
 * and so is one carrying credentials, without repeating them: fetch sends none, and CI logs keep stderr.
 */
export function registryUrl(given: string | undefined, env: NodeJS.ProcessEnv): URL {
  const text = given ?? env.REGISTRY_URL ?? DEFAULT_REGISTRY_URL;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const source = given === undefined ? "REGISTRY_URL" : "--url";
  if (url && (url.username || url.password))
    throw new UsageError(
      `${source} carries a user name or password (…@${url.host}): a registry URL has none; send a token with --token or REGISTRY_TOKEN, or sign with --auth sigv4.`,
    );
  if (url && (url.protocol === "http:" || url.protocol === "https:")) return url;
  throw new UsageError(
    `${source} '${text}' is not a registry URL: write it with its scheme, e.g. ${DEFAULT_REGISTRY_URL} (npm start) or https://<api id>.execute-api.<region>.amazonaws.com.`,
  );
}
