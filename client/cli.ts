import { readFile, stat } from "node:fs/promises";
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ASSIGNED_STAGES, type AssignedStage } from "../shared/domain/model-uri";
import { VERSION_STATUSES } from "../shared/domain/lifecycle";
import { DEFAULT_VERIFY_ASSURED_MIBPS } from "../shared/domain/artifacts";
import { VERIFICATION_STALLED_AFTER_MS } from "../shared/functions";
import packageJson from "../package.json" with { type: "json" };
import { AUTH_TYPES, defaultAuth, type AuthType } from "./auth";
import { IntegrityError, RegistryApiError, RegistryUnavailableError, UsageError, VerificationPendingError } from "./errors";
import { cliHint } from "./hints";
import type { VersionMetadataInput } from "./upload";
import type { Fetch, RegistryClient } from "./sdk";
import { DEFAULT_REGISTRY_URL, registryUrl } from "./registry-url";
import { historyLine, progressRenderer, transitionLine, versionLine, type CliIo } from "./render";

/** The registry counts a verification unmoved this long as stalled: a completion sends its tasks again. */
const STALLED_MINUTES = VERIFICATION_STALLED_AFTER_MS / 60_000;

/**
 * `registry`: each command parses its arguments, makes one SDK call and renders the answer
 * (STYLE §16–18). Results go to stdout (`--json`: exactly one JSON document), progress and
 * errors to stderr. Exit codes (docs/client.md): 0 ok, 1 usage, 2 the API refused (4xx, its code
 * printed), 3 network or 5xx after retries, or bytes that did not verify; 4 a push's verification
 * stopped moving (the version stays VERIFYING); 130 interrupted (Ctrl-C).
 *
 * A command loads the SDK (the route table's schemas) and the transfer code when it runs, by
 * dynamic import: `--version` and `--help` start in little more than Node's own time.
 */

export const EXIT = { ok: 0, usage: 1, refused: 2, unavailable: 3, verificationPending: 4, interrupted: 130 } as const;

/** What Ctrl-C leaves behind, said on stderr when it interrupts `command`. */
export function interruptedNote(command: string | undefined): string {
  if (command === "push") return "Interrupted: run the same registry push again, it resumes where this one stopped.";
  if (command === "pull") return "Interrupted: nothing was written under the final name; run the same registry pull again.";
  return "Interrupted.";
}

interface GlobalOptions {
  readonly url?: string;
  readonly auth?: AuthType;
  readonly token?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** A command's answer: the JSON document for `--json`, and the text for people. */
interface Rendered {
  readonly json: unknown;
  readonly text: string;
}

/** Commander checks the required `<arguments>` before an action runs. */
type Args = [string, string, string];
type Action = (client: RegistryClient, args: Args, options: Record<string, unknown>, globals: GlobalOptions) => Promise<Rendered>;

export function buildProgram(io: CliIo, fetchImpl?: Fetch): Command {
  const program = new Command("registry")
    .description("Push, promote and pull model versions of a model registry.")
    .version(packageJson.version)
    .addOption(new Option("--url <url>", `registry URL (default: REGISTRY_URL or ${DEFAULT_REGISTRY_URL})`))
    .addOption(
      new Option("--auth <type>", "sigv4 (default for execute-api hosts), token (default with --token or REGISTRY_TOKEN) or none").choices(
        AUTH_TYPES,
      ),
    )
    .option("--token <token>", "bearer token of the local tokens file (default: REGISTRY_TOKEN)")
    .option("--json", "print exactly one JSON document on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addHelpText(
    "after",
    "\nExit codes: 0 ok, 1 usage, 2 the API refused (4xx, code printed), 3 network or 5xx after retries, 4 verification still pending, 130 interrupted (Ctrl-C).\nSee docs/client.md.",
  );

  const run = (action: Action) =>
    async function (this: Command) {
      io.onCommand?.(this.name());
      const globals = this.optsWithGlobals<GlobalOptions>();
      const url = registryUrl(globals.url, io.env);
      const { createRegistryClient } = await import("./sdk");
      const client = createRegistryClient({
        url: url.href,
        auth: defaultAuth(url, { type: globals.auth, token: globals.token }, io.env),
        env: io.env,
        fetch: fetchImpl,
      });
      const rendered = await action(client, this.processedArgs as Args, this.opts(), globals);
      io.stdout(globals.json ? `${JSON.stringify(rendered.json)}\n` : `${rendered.text}\n`);
    };
  const progress = (globals: GlobalOptions) => (globals.quiet ? undefined : progressRenderer(io));

  command(
    program,
    "push <path>",
    "Upload a file, or a directory as a multi-file version, as a new version: hashed, uploaded in parallel, verified; run it again to resume an interrupted push",
    "registry push ./model.tar.gz --model fraud_detector --bump minor --metrics metrics.json --tag owner=ml-risk\n  $ registry push ./fraud_model/ --model fraud_detector --bump minor",
    metadataOptions,
  )
    .requiredOption("-m, --model <name>", "the model to register a version of")
    .option("--part-size <MiB>", "a file: part size in MiB (5 to 5120); default: the registry's choice", positiveInt)
    .option("--concurrency <n>", "parts (for a directory: files) in flight at once", positiveInt, 8)
    .option("--content-type <type>", "a file: the artifact's content type")
    .option("--filename <name>", "a file: the file name to record (default: the file's own)")
    .option(
      "--wait <duration>",
      `stop (exit 4) once the registry's verification has not moved for this long, e.g. 90s, 20m; 0: do not wait (default: 5 min plus the bytes left at ${DEFAULT_VERIFY_ASSURED_MIBPS} MiB/s, at most ${STALLED_MINUTES} min)`,
      duration,
    )
    .action(
      run(async (client, args, o, globals) => {
        const [file] = args;
        const bar = progress(globals);
        if ((await stat(file).catch(() => undefined))?.isDirectory()) return pushDirectoryCommand(client, file, o, bar, io);
        const [{ push }, shared] = await Promise.all([import("./upload"), sharedPushOptions(o, bar, io)]);
        const result = await push(client, {
          file,
          ...shared,
          partSizeBytes: o.partSize === undefined ? undefined : (o.partSize as number) * 1024 * 1024,
          contentType: o.contentType as string | undefined,
          filename: o.filename as string | undefined,
        }).finally(() => bar?.finish());
        const resumed = result.resumedParts > 0 ? ` (resumed: ${result.resumedParts} uploaded before the interruption)` : "";
        const note = result.uploaded
          ? `uploaded ${result.partsUploaded} part(s)${resumed}`
          : "already stored and verified: nothing uploaded";
        return { json: result, text: `${versionLine(result.version)}\n${note}` };
      }),
    );

  command(
    program,
    "pull <uri>",
    "Download a version's artifact, every file of a multi-file version, or the one file a URI names; each verified against its SHA-256, written atomically",
    "registry pull models:/fraud_detector/Production -o ./serving/\n  $ registry pull models:/fraud_detector/Production/tokenizer/config.json -o ./serving/",
  )
    .option("-o, --output <path>", "a directory (keeps the file's name; a multi-file version's files go inside it) or a file")
    .option("--concurrency <n>", "ranged GETs in flight at once", positiveInt, 8)
    .action(
      run(async (client, args, o, globals) => {
        const [uri] = args;
        const bar = progress(globals);
        const { pull } = await import("./download");
        const result = await pull(client, {
          uri,
          output: o.output as string | undefined,
          concurrency: o.concurrency as number,
          onProgress: bar?.update,
        }).finally(() => bar?.finish());
        const what = result.files ? `${result.files.length} file(s)` : `sha256 ${result.sha256}`;
        return { json: result, text: `${result.path}  ${result.model} version ${result.version}  ${what} (verified)` };
      }),
    );

  command(
    program,
    "register <model>",
    "Register a version whose bytes live elsewhere (no upload)",
    "registry register fraud_detector --source s3://training/run-42/model.tar.gz --bump patch --metric auc=0.97",
    metadataOptions,
  )
    .requiredOption("--source <uri>", "where the bytes live: s3://…, runs:/<id>/model, https://…")
    .action(
      run(async (client, args, o) => {
        const [name] = args;
        const { upload: _upload, ...version } = await client.registerVersion({
          name,
          body: { ...(await metadataFrom(o)), source: o.source as string },
        });
        return { json: version, text: versionLine(version) };
      }),
    );

  command(
    program,
    "promote <model> <version>",
    "Move a version to another stage (compare-and-set on Production)",
    'registry promote fraud_detector 7 --to Production --expect-current 6 --reason "canary ok"',
  )
    .alias("transition")
    .addOption(new Option("--to <stage>", "the stage to move to").choices(ASSIGNED_STAGES).makeOptionMandatory())
    .requiredOption("--reason <text>", "why: kept in the history and the event")
    .option("--expect-current <version>", "the version you saw in Production, or none; 409 StageConflict if it changed", expectedVersion)
    .option("--archive-existing", "moving to Staging: archive the versions already there")
    .action(
      run(async (client, args, o) => {
        const [name, v] = args;
        const moved = await client.transitionVersion({
          name,
          v,
          body: {
            to: o.to as AssignedStage,
            reason: o.reason as string,
            expectedCurrentVersion: expectation(o.expectCurrent),
            archiveExisting: o.archiveExisting as boolean | undefined,
          },
        });
        return { json: moved, text: transitionLine(name, moved) };
      }),
    );

  command(
    program,
    "rollback <model>",
    "Put back the version that held Production before the current one",
    'registry rollback fraud_detector --reason "v7 raises false positives"',
  )
    .requiredOption("--reason <text>", "why: kept in the history and the event")
    .action(
      run(async (client, args, o) => {
        const [name] = args;
        const moved = await client.rollbackStage({ name, stage: "Production", body: { reason: o.reason as string } });
        return { json: moved, text: transitionLine(name, moved) };
      }),
    );

  command(
    program,
    "approve <model> <version>",
    "Approve, or with --reject reject, a version for a stage or a protected alias (approver)",
    'registry approve fraud_detector 7 --stage Production --comment "risk review passed"',
  )
    .requiredOption("--stage <stage>", "Staging, Production or alias:<alias>")
    .option("--reject", "record a rejection: it stands until the same approver approves")
    .option("--comment <text>", "why: kept as the history entry's reason")
    .action(
      run(async (client, args, o) => {
        const [name, v] = args;
        const approval = await client.recordApproval({
          name,
          v,
          body: { stage: o.stage as string, decision: o.reject ? "reject" : "approve", comment: o.comment as string | undefined },
        });
        return { json: approval, text: approvalLine(approval) };
      }),
    );
  command(
    program,
    "approvals <model> <version>",
    "A version's standing approvals and rejections",
    "registry approvals fraud_detector 7 --stage Production",
    pageOptions,
  )
    .option("--stage <stage>", "only those for Staging, Production or alias:<alias>")
    .action(
      run(async (client, args, o) => {
        const [name, v] = args;
        const page = await client.listApprovals({ name, v, query: { stage: o.stage as string | undefined, ...pageQuery(o) } });
        return listed(page, page.items.map(approvalLine));
      }),
    );
  command(
    program,
    "delete-model <model>",
    "Delete a model with all its versions, none in Staging or Production (admin); its history stays",
    "registry delete-model fraud_detector_experiment",
  ).action(
    run(async (client, args) => {
      const [name] = args;
      const deleted = await client.deleteModel({ name });
      return {
        json: deleted,
        text: `deleted ${deleted.model}: ${deleted.versionsDeleted} version(s), ${deleted.artifactObjectsDeleted} artifact object(s)`,
      };
    }),
  );

  command(program, "resolve <uri>", "The version a model URI names now", "registry resolve models:/fraud_detector@champion").action(
    run(async (client, args) => {
      const [uri] = args;
      const version = await client.resolveModelUri({ query: { uri } });
      return { json: version, text: versionLine(version) };
    }),
  );

  const models = program.command("models").description("List, show, create and edit models");
  command(models, "list", "Models in name order", "registry models list --prefix fraud", pageOptions)
    .option("--prefix <prefix>", "only names starting with this")
    .action(
      run(async (client, _args, o) => {
        const page = await client.listModels({
          query: { prefix: o.prefix as string | undefined, ...pageQuery(o) },
        });
        return listed(
          page,
          page.items.map((m) => `${m.name}  latest ${m.latestVersion ?? "-"}  ${m.description ?? ""}`.trimEnd()),
        );
      }),
    );
  command(models, "show <name>", "A model with its stages and aliases", "registry models show fraud_detector").action(
    run(async (client, [name]) => asDocument(await client.getModel({ name }))),
  );
  command(
    models,
    "create <name>",
    "Create a model",
    'registry models create fraud_detector --description "Card fraud scoring" --tag team=risk',
  )
    .option("--description <text>", "what the model does")
    .option("--tag <key=value>", "a tag (repeatable)", collectTag, undefined)
    .action(
      run(async (client, args, o) => {
        const [name] = args;
        const model = await client.createModel({
          body: { name, ...descriptionAndTags(o) },
        });
        return { json: model, text: `created ${model.name}` };
      }),
    );
  command(
    models,
    "update <name>",
    "Change a model's description or tags",
    "registry models update fraud_detector --tag team=risk --tag owner=ml-risk",
  )
    .option("--description <text>", "the new description")
    .option("--tag <key=value>", "a tag (repeatable); the tags given replace the model's", collectTag, undefined)
    .action(
      run(async (client, args, o) => {
        const [name] = args;
        const model = await client.updateModel({
          name,
          body: descriptionAndTags(o),
        });
        return { json: model, text: `updated ${model.name}` };
      }),
    );

  const versions = program.command("versions").description("List, show, edit and delete versions");
  command(
    versions,
    "list <model>",
    "A model's versions, newest first",
    "registry versions list fraud_detector --stage Staging --min-metric auc=0.95",
    pageOptions,
  )
    .addOption(new Option("--stage <stage>", "only versions in this stage").choices(["None", ...ASSIGNED_STAGES]))
    .addOption(new Option("--status <status>", "only versions with this status").choices(VERSION_STATUSES))
    .option("--min-metric <name=value>", "metric at least this (repeatable)", collectPair, undefined)
    .option("--max-metric <name=value>", "metric at most this (repeatable)", collectPair, undefined)
    .option("--tag <key=value>", "tag equal to this (repeatable)", collectTag, undefined)
    .action(
      run(async (client, args, o) => {
        const [name] = args;
        const query: Record<string, string> = {};
        for (const [key, value] of Object.entries({ stage: o.stage, status: o.status, limit: o.limit, cursor: o.cursor }))
          if (value !== undefined) query[key] = String(value);
        for (const [kind, pairs] of [
          ["minMetric", o.minMetric],
          ["maxMetric", o.maxMetric],
          ["tag", o.tag],
        ] as const) {
          for (const [key, value] of Object.entries((pairs ?? {}) as Record<string, string>)) query[`${kind}.${key}`] = value;
        }
        const page = await client.listVersions({ name, query });
        return listed(page, page.items.map(versionLine));
      }),
    );
  command(
    versions,
    "show <model> <version>",
    "One version: a number, v<semver>, a stage, an alias or latest",
    "registry versions show fraud_detector Production",
  ).action(run(async (client, [name, v]) => asDocument(await client.getVersion({ name, v }))));
  command(
    versions,
    "update <model> <version>",
    "Change a version's description or tags",
    "registry versions update fraud_detector 7 --tag reviewed=yes",
  )
    .option("--description <text>", "the new description")
    .option("--tag <key=value>", "a tag (repeatable); the tags given replace the version's", collectTag, undefined)
    .action(
      run(async (client, args, o) => {
        const [name, v] = args;
        const version = await client.updateVersion({
          name,
          v,
          body: descriptionAndTags(o),
        });
        return { json: version, text: versionLine(version) };
      }),
    );
  command(versions, "delete <model> <version>", "Delete an Archived version (admin)", "registry versions delete fraud_detector 3").action(
    run(async (client, args) => {
      const [name, v] = args;
      const deleted = await client.deleteVersion({ name, v });
      return {
        json: deleted,
        text: `deleted ${deleted.model} version ${deleted.version}${deleted.artifactDeleted ? " and its artifact" : ""}`,
      };
    }),
  );

  const alias = program.command("alias").description("Point aliases at versions, compare-and-set");
  command(
    alias,
    "set <model> <alias> <version>",
    "Point an alias at a READY version",
    "registry alias set fraud_detector champion 7 --expect 6",
  )
    .option("--expect <version>", "the version the alias points to now as you saw it, or none", expectedVersion)
    .option("--reason <text>", "why")
    .action(
      run(async (client, args, o) => {
        const [name, aliasName, version] = args;
        const set = await client.setAlias({
          name,
          alias: aliasName,
          body: { version: versionNumber(version), expectedVersion: expectation(o.expect), reason: o.reason as string | undefined },
        });
        return { json: set, text: `${set.model}@${set.alias} → version ${set.version}` };
      }),
    );
  command(alias, "rm <model> <alias>", "Remove an alias", "registry alias rm fraud_detector challenger").action(
    run(async (client, args) => {
      const [name, aliasName] = args;
      const removed = await client.deleteAlias({ name, alias: aliasName });
      return { json: removed, text: `removed ${removed.model}@${removed.alias}` };
    }),
  );

  command(
    program,
    "history <model>",
    "The model's audit trail, newest first; --at: what each stage and alias held then",
    "registry history fraud_detector --version 7",
    pageOptions,
  )
    .option("--version <version>", "only entries about this version")
    .option("--at <time>", "an ISO 8601 instant: the stages and aliases at that time")
    .action(
      run(async (client, args, o) => {
        const [name] = args;
        if (o.at !== undefined) {
          const at = await client.getStagesAt({ name, query: { time: o.at as string } });
          return asDocument(at);
        }
        const page = await client.listHistory({
          name,
          query: { version: o.version as string | undefined, ...pageQuery(o) },
        });
        return listed(page, page.items.map(historyLine));
      }),
    );

  command(
    program,
    "compare <model> <a> <b>",
    "Metric deltas and param, feature, dependency and lineage differences",
    "registry compare fraud_detector 6 7",
  ).action(run(async (client, [name, a, b]) => asDocument(await client.compareVersions({ name, query: { versions: `${a},${b}` } }))));

  const policy = program.command("policy").description("A model's promotion gates");
  command(policy, "get <model>", "The model's promotion policy", "registry policy get fraud_detector").action(
    run(async (client, [name]) => asDocument(await client.getPolicy({ name }))),
  );
  command(
    policy,
    "set <model> <file>",
    "Replace the promotion policy with a JSON file's (admin)",
    "registry policy set fraud_detector policy.json",
  ).action(run(async (client, [name, file]) => asDocument(await client.putPolicy({ name, body: (await jsonFile(file)) as never }))));

  command(program, "lineage <dataset>", "Versions trained on a dataset", "registry lineage fraud_training", pageOptions).action(
    run(async (client, args, o) => {
      const [id] = args;
      const page = await client.listDatasetUsage({
        id,
        query: pageQuery(o),
      });
      return listed(
        page,
        page.items.map((u) => `${u.model} version ${u.version}${u.datasetVersion ? `  dataset ${u.datasetVersion}` : ""}`),
      );
    }),
  );

  command(program, "stages", "Every model's versions in a stage", "registry stages Production", pageOptions)
    .addArgument(new Argument("<stage>").choices(ASSIGNED_STAGES))
    .action(
      run(async (client, args, o) => {
        const [stage] = args;
        const page = await client.listStageVersions({
          stage: stage as AssignedStage,
          query: pageQuery(o),
        });
        return listed(page, page.items.map(versionLine));
      }),
    );

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo, fetchImpl?: Fetch): Promise<number> {
  const program = buildProgram(io, fetchImpl);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error, io, argv.includes("--json"));
  }
}

function reportFailure(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof CommanderError) return commandLineRefused(error, io, json);
  const { exitCode, document, line } = describeFailure(error);
  io.stderr(`${line}\n`);
  if (json) io.stdout(`${JSON.stringify(document)}\n`);
  return exitCode;
}

/**
 * Commander has printed the usage error and the command's help on stderr (or the help asked for on
 * stdout); with --json, stdout still gets its one document, as after any other failure.
 */
function commandLineRefused(error: CommanderError, io: CliIo, json: boolean): number {
  if (error.exitCode === 0) return EXIT.ok;
  const message = error.message.replace(/^error: /, "");
  if (json) io.stdout(`${JSON.stringify({ error: { code: "UsageError", message } })}\n`);
  return EXIT.usage;
}

function describeFailure(error: unknown): { exitCode: number; document: unknown; line: string } {
  if (error instanceof RegistryApiError) {
    const document = {
      error: { status: error.status, code: error.code, message: error.message, details: error.details, requestId: error.requestId },
    };
    const where = error.requestId ? ` (request id ${error.requestId})` : "";
    const details = error.details === undefined ? "" : `\n  details: ${JSON.stringify(error.details)}`;
    return {
      exitCode: error.status >= 500 || error.status === 429 ? EXIT.unavailable : EXIT.refused,
      document,
      line: `error: ${error.status} ${error.code}: ${error.message}${where}${details}${hintLine(error)}`,
    };
  }
  if (error instanceof VerificationPendingError)
    return {
      exitCode: EXIT.verificationPending,
      document: { error: { code: error.name, message: error.message } },
      line: `error: ${error.message}\n  hint: ${verificationPendingHint(error)}`,
    };
  const known =
    error instanceof UsageError
      ? EXIT.usage
      : error instanceof RegistryUnavailableError || error instanceof IntegrityError
        ? EXIT.unavailable
        : undefined;
  if (known !== undefined) {
    const code = (error as Error).name;
    return {
      exitCode: known,
      document: { error: { code, message: (error as Error).message } },
      line: `error: ${(error as Error).message}${error instanceof RegistryUnavailableError ? hintLine(error) : ""}`,
    };
  }
  if (isFileError(error))
    return {
      exitCode: EXIT.usage,
      document: { error: { code: error.code, message: error.message } },
      line: `error: ${error.message}${fileHintLine(error)}`,
    };
  throw error;
}

/** The CLI's advice under an error, on its own line. */
function hintLine(error: RegistryApiError | RegistryUnavailableError): string {
  const hint = cliHint(error);
  return hint ? `\n  hint: ${hint}` : "";
}

/** What to do about a version left VERIFYING: look again later, wait again, or find its lost tasks. */
const verificationPendingHint = ({ model, version }: VerificationPendingError) =>
  `Check on it with registry versions show ${model} ${version}, or run the same registry push again: it completes the version again and waits for it. A verification that never moves lost its tasks: see the verification dead letters in docs/operations.md (with npm start, REGISTRY_DATA_DIR/dead-letters.jsonl); the push run again once it has not moved for ${STALLED_MINUTES} minutes sends them again.`;

/** Node names the system call that failed (`ENOENT: no such file or directory, stat …`), not what to check. */
function fileHintLine(error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT")
    return `\n  hint: Check the path ${error.path} and the folders on its way (a relative path starts from ${process.cwd()}).`;
  if (error.code === "EACCES") return `\n  hint: You may not use ${error.path}: check its permissions, or name another path.`;
  return "";
}

const isFileError = (error: unknown): error is NodeJS.ErrnoException & { code: string } =>
  error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && "path" in error;

/** A subcommand with its description and one runnable example in its --help. */
function command(
  parent: Command,
  nameAndArgs: string,
  description: string,
  example: string,
  ...optionGroups: ((cmd: Command) => Command)[]
): Command {
  const cmd = parent.command(nameAndArgs).description(description).addHelpText("after", `\nExample:\n  $ ${example}`);
  return optionGroups.reduce((withOptions, group) => group(withOptions), cmd);
}

function pageOptions(cmd: Command): Command {
  return cmd
    .option("--limit <n>", "items per page (1-100)", positiveInt)
    .option("--cursor <cursor>", "the next page, from a previous answer");
}

/** The page's limit and cursor options as a listing's query. */
const pageQuery = (o: Record<string, unknown>) => ({ limit: o.limit as number | undefined, cursor: o.cursor as string | undefined });

/** A page of a listing: the page itself as JSON; as text, a line per item and how to ask for the next page. */
const listed = (page: { readonly nextCursor?: string }, lines: string[]): Rendered => ({
  json: page,
  text: [...lines, ...(page.nextCursor ? [`(more: --cursor ${page.nextCursor})`] : [])].join("\n") || "(none)",
});

/** `fraud_detector version 7: approve for Production by alice ("risk review passed")` */
const approvalLine = (a: { model: string; version: number; stage: string; decision: string; approver: string; comment?: string }) =>
  `${a.model} version ${a.version}: ${a.decision} for ${a.stage} by ${a.approver}${a.comment ? ` ("${a.comment}")` : ""}`;

/** What a push of a file and of a directory both take: the model and its metadata, parallelism, progress, notices (the bar ends first) and where journals go. */
async function sharedPushOptions(o: Record<string, unknown>, bar: ReturnType<typeof progressRenderer> | undefined, io: CliIo) {
  const { defaultJournalDirectory } = await import("./journal");
  return {
    model: o.model as string,
    metadata: await metadataFrom(o),
    concurrency: o.concurrency as number,
    onProgress: bar?.update,
    onNotice: (message: string) => {
      bar?.finish();
      io.stderr(`${message}\n`);
    },
    journalDirectory: defaultJournalDirectory(io.env),
    verificationStallMs: o.wait as number | undefined,
  };
}

/** `push <directory>`: a multi-file version; the options that only a single file takes are refused. */
async function pushDirectoryCommand(
  client: RegistryClient,
  directory: string,
  o: Record<string, unknown>,
  bar: ReturnType<typeof progressRenderer> | undefined,
  io: CliIo,
): Promise<Rendered> {
  const fileOnly = (["partSize", "contentType", "filename"] as const).filter((key) => o[key] !== undefined);
  if (fileOnly.length > 0)
    throw new UsageError(`${directory} is a directory: --part-size, --content-type and --filename are for a single file.`);
  const [{ pushDirectory }, shared] = await Promise.all([import("./push-directory"), sharedPushOptions(o, bar, io)]);
  const result = await pushDirectory(client, { directory, ...shared }).finally(() => bar?.finish());
  const resumed = result.bytesResumed > 0 ? ` (resumed: ${result.bytesResumed} bytes uploaded before the interruption)` : "";
  const note =
    result.filesUploaded.length === 0
      ? `all ${result.filesTotal} file(s) already stored and verified: nothing uploaded`
      : `uploaded ${result.filesUploaded.length} of ${result.filesTotal} file(s): ${result.filesUploaded.join(", ")}${resumed}`;
  return { json: result, text: `${versionLine(result.version)}\n${note}` };
}

/** The description and tags a model or version is created or edited with. */
const descriptionAndTags = (o: Record<string, unknown>) => ({
  description: o.description as string | undefined,
  tags: o.tag as Record<string, string> | undefined,
});

/** A document shown as it is: pretty-printed JSON as text. */
const asDocument = (value: unknown): Rendered => ({ json: value, text: JSON.stringify(value, null, 2) });

/** Registration metadata from flags and JSON files; later flags win over `--metadata`. */
function metadataOptions(cmd: Command): Command {
  return cmd
    .option("--metadata <file>", "a JSON file with any registration fields (metrics, params, lineage, framework…)")
    .option("--metrics <file>", 'a JSON file of metrics: {"auc": 0.98}')
    .option("--params <file>", "a JSON file of parameters")
    .option("--metric <name=value>", "one metric (repeatable)", collectMetric, undefined)
    .option("--tag <key=value>", "a tag (repeatable)", collectTag, undefined)
    .option("--dataset <id@version>", "a training dataset for the lineage (repeatable)", collectDataset, undefined)
    .option("--description <text>", "what this version is")
    .addOption(new Option("--bump <part>", "derive the semantic label from the model's highest").choices(["major", "minor", "patch"]))
    .option("--semver <label>", "the semantic label, e.g. 1.4.0");
}

async function metadataFrom(o: Record<string, unknown>): Promise<VersionMetadataInput> {
  const base = (o.metadata ? await jsonFile(o.metadata as string) : {}) as Record<string, unknown>;
  const metrics = {
    ...(base.metrics as object),
    ...(o.metrics ? ((await jsonFile(o.metrics as string)) as object) : {}),
    ...(o.metric as object),
  };
  const lineage = o.dataset ? { ...(base.lineage as object), datasets: o.dataset } : base.lineage;
  const defined = Object.entries({
    ...base,
    metrics,
    params: o.params ? await jsonFile(o.params as string) : base.params,
    tags: o.tag ? { ...(base.tags as object), ...(o.tag as object) } : base.tags,
    lineage,
    description: o.description ?? base.description,
    bump: o.bump ?? base.bump,
    semver: o.semver ?? base.semver,
  });
  return Object.fromEntries(defined.filter(([, value]) => value !== undefined)) as VersionMetadataInput;
}

async function jsonFile(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

function positiveInt(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("a whole number, at least 1");
  return Number(value);
}

/** `90s`, `20m`, `1h`, or seconds alone, in milliseconds. */
function duration(value: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(value);
  if (!match) throw new InvalidArgumentError("a duration such as 90s, 20m or 1h");
  return Number(match[1]) * DURATION_UNIT_MS[(match[2] ?? "s") as keyof typeof DURATION_UNIT_MS];
}

const DURATION_UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

function versionNumber(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`A version here is its number (e.g. 7), not '${value}'.`);
  return Number(value);
}

const NONE = "none";

/** A version number, or `none` (kept as the word: commander turns a parser's null into ""). */
function expectedVersion(value: string): number | typeof NONE {
  if (value === NONE) return NONE;
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("a version number, or none");
  return Number(value);
}

/** Compare-and-set as the API takes it: `null` says "empty, as far as I know"; absent, no expectation. */
const expectation = (value: unknown): number | null | undefined => (value === NONE ? null : (value as number | undefined));

function pair(value: string): [string, string] {
  const at = value.indexOf("=");
  if (at < 1) throw new InvalidArgumentError("expected name=value");
  return [value.slice(0, at), value.slice(at + 1)];
}

function collectPair(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [key, v] = pair(value);
  return { ...previous, [key]: v };
}

const collectTag = collectPair;

function collectMetric(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const [key, v] = pair(value);
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`metric ${key}: '${v}' is not a number`);
  return { ...previous, [key]: n };
}

function collectDataset(value: string, previous: { id: string; version?: string }[] = []): { id: string; version?: string }[] {
  const [id, version] = value.split("@");
  if (!id) throw new InvalidArgumentError("expected id or id@version");
  return [...previous, version ? { id, version } : { id }];
}
