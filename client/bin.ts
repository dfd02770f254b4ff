import { main } from "./cli";

/** The `registry` command's process: real streams, the real environment; the exit code is main's. */
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
  env: process.env,
  now: Date.now,
});
