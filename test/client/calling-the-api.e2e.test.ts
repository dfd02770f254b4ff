import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startLocalRegistry, type LocalRegistry } from "../../infra/local/start";
import { MiB } from "../../shared/domain/artifacts";

/** docs/calling-the-api.md's curl block and Python script, run as written against `npm start` with a credentials file. */

const repoRoot = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const KEY = { id: "AKIALOCALTRAINING001", secret: "training+cluster/secret" };
let registry: LocalRegistry;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "registry-calling-"));
  const credentialsFile = join(dir, "credentials.json");
  const principal = "arn:aws:sts::000000000000:assumed-role/fraud-ci-publisher/run-1";
  await writeFile(
    credentialsFile,
    JSON.stringify({ credentials: { [KEY.id]: { secretAccessKey: KEY.secret, principal, roles: ["reader", "publisher"] } } }),
  );
  registry = await startLocalRegistry({ port: 0, dataDir: join(dir, "data"), quiet: true, credentialsFile });
  const { AWS_SESSION_TOKEN: _token, AWS_PROFILE: _profile, ...rest } = process.env;
  env = {
    ...rest,
    REGISTRY_URL: registry.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: KEY.id,
    AWS_SECRET_ACCESS_KEY: KEY.secret,
    AWS_CONFIG_FILE: join(dir, "none"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
  };
});
afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function block(heading: string, language: string): Promise<string> {
  const doc = await readFile(join(repoRoot, "docs/calling-the-api.md"), "utf8");
  const section = doc.split(`\n## ${heading}\n`)[1]?.split("\n## ")[0] ?? "";
  const code = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section)?.[1];
  if (!code) throw new Error(`docs/calling-the-api.md lost its ${language} block under "${heading}"`);
  return code;
}

describe("docs/calling-the-api.md", () => {
  it("lists, registers and reads with curl --aws-sigv4", async () => {
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", await block("curl", "sh")], { cwd: dir, env });

    const answers = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(answers).toHaveLength(3);
    expect(answers[1]).toMatchObject({ model: "fraud_detector", version: 1, source: "s3://training-artifacts/fraud/run-45/model.tar.gz" });
    expect(answers[2]).toMatchObject({ model: "fraud_detector", version: 1, metrics: { auc: 0.97 } });
  }, 30_000);

  it.each([
    ["in one PUT", "small.bin", 3 * MiB],
    ["in 16 MiB parts", "large.bin", 70 * MiB],
  ])(
    "pushes a file %s with the Python script",
    async (_, name, size) => {
      const script = join(dir, "push.py");
      await writeFile(script, await block("Python, on a training cluster", "python"));
      const bytes = randomBytes(size);
      await writeFile(join(dir, name), bytes);

      const { stdout } = await run("python3", [script, "churn_predictor", join(dir, name)], { cwd: dir, env });

      expect(JSON.parse(stdout)).toMatchObject({ status: "READY", sha256: createHash("sha256").update(bytes).digest("hex") });
    },
    60_000,
  );
});
