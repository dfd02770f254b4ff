import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal, startS3rver } from "../../infra/local/engines";

export const TEST_BUCKET = "model-registry-test";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    s3Endpoint: string;
  }
}

/** One DynamoDB Local (in memory) and one s3rver for the whole run; tests isolate themselves by table and model names. */
export default async function setup(project: TestProject) {
  const s3Dir = await mkdtemp(join(tmpdir(), "registry-s3-"));
  const [dynamo, s3] = await Promise.all([startDynamoDbLocal(), startS3rver({ dataDir: s3Dir, bucket: TEST_BUCKET })]);
  project.provide("dynamoEndpoint", dynamo.endpoint);
  project.provide("s3Endpoint", s3.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), s3.stop()]);
    await rm(s3Dir, { recursive: true, force: true });
  };
}
