import { type ParseArgsConfig, parseArgs } from "node:util";

type ScriptOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * The options of an npm script (`npm run <script> -- …`): `--help` prints its usage and exits 0, and
 * an option it does not take exits 2 with the usage under what was wrong, rather than a stack trace.
 */
export function scriptOptions<T extends ScriptOptions>(usage: string, options: T) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}
