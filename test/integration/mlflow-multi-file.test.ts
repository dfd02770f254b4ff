import { randomBytes } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext, putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { completeAndVerify } from "../support/verification";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { createS3Client } from "../../shared/s3-client";
import { artifactObjectKey } from "../../shared/domain/artifacts";

/** A multi-file version through the MLflow-compatible API: what MLflow's client is told about its bytes. */

const ci = roleCaller("training-ci", "req-1");
const registry = useTestRegistry();
let query: ApiHandler;

beforeAll(async () => {
  ({ query } = await loadHandlers(registry, "query"));
});

/** A version of two files, verified: the second's object holds other bytes (stored behind the upload URL's back) when `corrupt`. */
async function multiFileVersion(name: string, corrupt = false) {
  const contents = [randomBytes(32), randomBytes(48)];
  const files = contents.map((bytes, i) => ({ path: `model/part-${i}.bin`, sizeBytes: bytes.length, sha256: sha256(bytes) }));
  const registered = await registerVersion(registry.deps, name, registerVersionBody.parse({ files }), ci);
  await putBytes(singlePut(registered.uploads?.[0]?.upload ?? null), contents[0] as Buffer);
  if (corrupt)
    await createS3Client(registry.config).send(
      new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(files[1]?.sha256 ?? ""), Body: randomBytes(48) }),
    );
  else await putBytes(singlePut(registered.uploads?.[1]?.upload ?? null), contents[1] as Buffer);
  return completeAndVerify(registry.deps, name, { number: registered.version }, ci);
}

const mlflow = async (endpoint: string, queryStringParameters: Record<string, string>) => {
  const response = await query(apiEvent({ routeKey: `GET /api/2.0/mlflow/${endpoint}`, queryStringParameters }), lambdaContext);
  return { status: response.statusCode, body: JSON.parse(response.body ?? "{}") };
};

describe("a multi-file version through the MLflow-compatible API", () => {
  it("answers get-download-uri with INVALID_STATE naming the native download, not its own models:/ URI, which MLflow would resolve by asking again", async () => {
    const name = uniqueModelName("fraud_detector");
    expect(await multiFileVersion(name)).toMatchObject({ status: "READY" });

    const answer = await mlflow("model-versions/get-download-uri", { name, version: "1" });

    expect(answer).toEqual({
      status: 400,
      body: { error_code: "INVALID_STATE", message: expect.stringContaining(`GET /models/${name}/versions/1/artifact`) },
    });
  });

  it("answers a version whose file failed verification with status_message naming the file", async () => {
    const name = uniqueModelName("fraud_detector");
    expect(await multiFileVersion(name, true)).toMatchObject({ status: "FAILED" });

    const answer = await mlflow("model-versions/get", { name, version: "1" });

    expect(answer.body.model_version).toMatchObject({
      status: "FAILED_REGISTRATION",
      status_message: expect.stringContaining("model/part-1.bin: sha256 mismatch"),
    });
  });
});
