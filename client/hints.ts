import { type RegistryApiError, RegistryUnavailableError } from "./errors";

/**
 * What to do next, in the CLI's own terms, after a failure whose message speaks the API's (a header,
 * a body field, a route): the line the CLI prints under the error, or undefined when the error says it.
 */
export function cliHint(error: RegistryApiError | RegistryUnavailableError): string | undefined {
  if (error instanceof RegistryUnavailableError) return error.registryUrl ? unreachable(error.registryUrl) : undefined;
  return API_HINTS[error.code]?.(error.details);
}

const unreachable = (url: URL) =>
  `Is a registry running at ${url.href}? Start one with npm start (PORT=${url.port || "3000"} for this port), or point --url or REGISTRY_URL at yours.`;

const API_HINTS: Record<string, (details: unknown) => string> = {
  Unauthorized: () =>
    "The CLI sends a token of the tokens file with --token <token> or REGISTRY_TOKEN, or signs with --auth sigv4 and a key of the credentials file (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).",
  MissingAuthenticationToken: () =>
    "This registry checks SigV4 signatures: add --auth sigv4, with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION set.",
  Forbidden: (details) =>
    `The caller's roles come from the tokens or credentials file npm start was given, or in AWS from the environment's role bindings: give it the ${missingRole(details)} role there (docs/operations.md, Who may call).`,
  VersionNotReady: () =>
    "registry versions show <model> <version> shows where it stands; a push that was interrupted finishes when you run the same registry push again; or pull another version, e.g. models:/<model>/latest (the newest READY one).",
  StageConflict: (details) => `If you still mean to replace it, promote again with --expect-current ${expectedNow(details)}.`,
  AliasConflict: (details) =>
    `It was moved meanwhile: registry alias set <model> <alias> <version> --expect ${expectedNow(details)} moves it from where it is now, and registry alias rm <model> <alias> removes it as it is now.`,
  ModelNotFound: () =>
    "registry models list lists the models; registry push or registry register creates one with its first version (registry history <model> reads a deleted one's trail).",
  ModelAlreadyExists: () => "registry push or registry register adds a version to it.",
  ModelBeingDeleted: () => "An admin's registry delete-model <model> finishes the deletion.",
  VersionNotFound: () => "registry versions list <model> lists its versions.",
  StageEmpty: () => "registry promote <model> <version> --to <stage> moves a version there.",
  AliasNotFound: () => "registry alias set <model> <alias> <version> points it at a version.",
  RouteNotFound: () =>
    "--url (or REGISTRY_URL) names the registry's root, without a path: http://127.0.0.1:3000 (npm start) or https://<api id>.execute-api.<region>.amazonaws.com.",
};

/** A StageConflict's or AliasConflict's `actual`: the version the stage or alias holds now, or none. */
function expectedNow(details: unknown): string {
  const actual = (details as { actual?: unknown } | undefined)?.actual;
  return typeof actual === "number" ? String(actual) : "none";
}

/** A Forbidden's `missingRole`, quoted, or "needed" when it names none. */
function missingRole(details: unknown): string {
  const role = (details as { missingRole?: unknown } | undefined)?.missingRole;
  return typeof role === "string" ? `'${role}'` : "needed";
}
