import { EXIT, interruptedNote, main } from "./cli";

/** The `registry` command's process: real streams, the real environment; the exit code is main's. */
let running: string | undefined;
// Ctrl-C: say what it left behind (a push resumes when run again), and exit as a shell reports SIGINT.
process.once("SIGINT", () => {
  process.stderr.write(`\n${interruptedNote(running)}\n`);
  process.exit(EXIT.interrupted);
});
// A reader that closed its end (`registry … | head -1`) wants no more output: the command still ends with its own exit code.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
  env: process.env,
  now: Date.now,
  onCommand: (name) => {
    running = name;
  },
});
