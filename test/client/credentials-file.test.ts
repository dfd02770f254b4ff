import { describe, expect, it } from "vitest";
import { callerResolver, loadCallers, loadCredentialsFile, roleBindingsFor } from "../../infra/local/tokens";
import { rolesOf } from "../../shared/domain/permissions";
import { useTempFiles } from "../support/temp-files";

/** The local stand-in for IAM's access keys: REGISTRY_CREDENTIALS_FILE, alone or with a tokens file. */

const CI_ARN = "arn:aws:sts::000000000000:assumed-role/fraud-ci-publisher/run-1";
const CREDENTIALS = {
  credentials: { AKIALOCALCI000000001: { secretAccessKey: "s3cret", principal: CI_ARN, roles: ["reader", "publisher"] } },
};

const file = useTempFiles("registry-credentials-").write;

describe("the local credentials file", () => {
  it("binds each key's principal ARN to exactly its roles", async () => {
    const callers = await loadCallers({ credentialsFile: await file(CREDENTIALS) });

    const bindings = roleBindingsFor(callers ?? {});

    expect(rolesOf(CI_ARN, bindings)).toEqual(["reader", "publisher"]);
    expect(rolesOf("arn:aws:sts::000000000000:assumed-role/fraud-ci-publisher/run-2", bindings)).toEqual([]);
  });

  it.each([
    ["is not JSON", "{credentials:", "is not JSON"],
    [
      "has a key id with a slash",
      { credentials: { "AKIA/1": { secretAccessKey: "s", principal: "p", roles: [] } } },
      "credentials.AKIA/1: Invalid key in record",
    ],
    ["has no secret", { credentials: { AKIA1: { principal: "p", roles: [] } } }, "credentials.AKIA1.secretAccessKey"],
  ])("is refused in one line naming the file when it %s", async (_, content, problem) => {
    const path = await file(content);

    const refusal = loadCredentialsFile(path);

    await expect(refusal).rejects.toThrow(problem);
    await expect(refusal).rejects.toThrow(`REGISTRY_CREDENTIALS_FILE ${path}`);
  });

  it("is refused when it gives a principal other roles than the tokens file does", async () => {
    const tokensFile = await file({ tokens: { t: { principal: CI_ARN, roles: ["admin"] } } });

    await expect(loadCallers({ tokensFile, credentialsFile: await file(CREDENTIALS) })).rejects.toThrow(
      `gives principal ${CI_ARN} different roles`,
    );
  });

  it("with a tokens file too, checks a signed request as SigV4 and any other by its bearer token", async () => {
    const callers = await loadCallers({
      tokensFile: await file({ tokens: { "alice-secret": { principal: "local:alice", roles: ["reader"] } } }),
      credentialsFile: await file(CREDENTIALS),
    });
    const resolve = callerResolver(callers ?? {});
    const request = (authorization: string) => ({
      method: "GET",
      target: "/models",
      headers: { host: "127.0.0.1:3000", authorization },
      bodySha256: async () => "",
    });

    expect(await resolve(request("Bearer alice-secret"))).toEqual({ actor: "local:alice" });
    expect(
      await resolve(request("AWS4-HMAC-SHA256 Credential=AKIALOCALCI000000001/20150830/us-east-1/execute-api/aws4_request")),
    ).toMatchObject({ forbidden: { code: "IncompleteSignature" } });
    expect(await resolve(request(""))).toMatchObject({ refused: expect.stringContaining("needs a bearer token") });
  });
});
