/** `npm start`'s registry: where the client goes when told nowhere else. */
export const DEFAULT_REGISTRY_URL = "http://127.0.0.1:3000";

/** The registry to call: the URL given, else REGISTRY_URL, else `npm start`'s. */
export const registryUrl = (given: string | undefined, env: NodeJS.ProcessEnv): URL =>
  new URL(given ?? env.REGISTRY_URL ?? DEFAULT_REGISTRY_URL);
