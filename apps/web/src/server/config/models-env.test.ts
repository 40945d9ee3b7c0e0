import { afterEach, describe, expect, it } from "vitest";
import { getEnv, resetEnvCache } from "../env.ts";

// MODEL_STORE_URL picks an S3-compatible model store; a malformed one stops the start with why.

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  resetEnvCache();
});

function setEnv(vars: Record<string, string | undefined>): void {
  process.env.DATABASE_URL = "postgres://u@127.0.0.1:1/none";
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
}

describe("MODEL_STORE_URL", () => {
  it("is unset, or set empty, for the local store", () => {
    setEnv({ MODEL_STORE_URL: undefined });
    expect(getEnv().MODEL_STORE_URL).toBeUndefined();
    setEnv({ MODEL_STORE_URL: "" });
    expect(getEnv().MODEL_STORE_URL).toBeUndefined();
  });

  it("parses into the S3 store's settings", () => {
    setEnv({ MODEL_STORE_URL: "s3://models/prod?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true" });
    expect(getEnv().MODEL_STORE_URL).toEqual({
      bucket: "models",
      prefix: "prod",
      endpoint: "http://127.0.0.1:9000",
      region: "us-east-1",
      forcePathStyle: true,
    });
  });

  it("refuses a malformed URL at start, naming the variable, what is wrong and the form", () => {
    setEnv({ MODEL_STORE_URL: "https://models.example/prod" });
    expect(() => getEnv()).toThrow(/MODEL_STORE_URL has the scheme 'https:', not 's3:'; the form is s3:\/\//);
    setEnv({ MODEL_STORE_URL: "s3://models?endpoint=localhost:9000" });
    expect(() => getEnv()).toThrow(/MODEL_STORE_URL has an endpoint that is not http:\/\/ or https:\/\//);
  });
});
