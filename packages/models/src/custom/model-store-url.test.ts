import { describe, expect, it } from "vitest";
import { describeS3Location, parseModelStoreUrl } from "./model-store-url.ts";

describe("MODEL_STORE_URL", () => {
  it("reads bucket, prefix, endpoint, region, path style and credentials", () => {
    expect(
      parseModelStoreUrl(
        "s3://AKIA123:se%2Fcr%40et@my-models/prod/onnx/?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true",
      ),
    ).toEqual({
      bucket: "my-models",
      prefix: "prod/onnx",
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "AKIA123", secretAccessKey: "se/cr@et" },
    });
  });

  it("leaves credentials and region to the AWS SDK's own chain when the URL gives none", () => {
    expect(parseModelStoreUrl("s3://my.models")).toEqual({ bucket: "my.models", prefix: "", forcePathStyle: false });
    expect(parseModelStoreUrl("s3://my-models/")).toEqual({ bucket: "my-models", prefix: "", forcePathStyle: false });
  });

  it("refuses a malformed URL with what is wrong and the form, never echoing the secret", () => {
    const cases: [string, RegExp][] = [
      ["not a url", /is not a URL/],
      ["https://my-models/prefix", /scheme 'https:', not 's3:'/],
      ["s3://My_Models", /names no valid bucket/],
      ["s3://ab", /names no valid bucket/],
      ["s3://a..b", /names no valid bucket/],
      ["s3://my-models:9000", /port after the bucket/],
      ["s3://my-models/a//b", /empty, '\.' or '\.\.' segment/],
      ["s3://my-models?endpoint=ftp://host", /not http:\/\/ or https:\/\//],
      ["s3://my-models?endpoint=nope", /endpoint that is not a URL/],
      ["s3://my-models?endpont=http://host", /unknown parameter 'endpont'/],
      ["s3://my-models?region=eu-west-1&region=us-east-1", /'region' more than once/],
      ["s3://my-models?region=EU WEST", /invalid region/],
      ["s3://my-models?forcePathStyle=yes", /forcePathStyle other than true or false/],
      ["s3://onlykey@my-models", /both an access key id and a secret/],
      ["s3://key:topsecret%zz@my-models", /malformed percent-encoding in the secret/],
      ["s3://my-models#x", /#fragment/],
    ];
    for (const [url, why] of cases) {
      expect(() => parseModelStoreUrl(url), url).toThrow(why);
      expect(() => parseModelStoreUrl(url), url).toThrow(/^MODEL_STORE_URL .*; the form is s3:\/\//);
    }
    try {
      parseModelStoreUrl("s3://key:topsecret@My_Models");
    } catch (err) {
      expect((err as Error).message).not.toContain("topsecret");
    }
  });

  it("describes a store for logs without its credentials", () => {
    const config = parseModelStoreUrl("s3://k:secret@models/p?endpoint=http://127.0.0.1:9000");
    expect(describeS3Location(config)).toBe("s3://models/p at http://127.0.0.1:9000");
  });
});
