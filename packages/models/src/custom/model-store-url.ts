/**
 * MODEL_STORE_URL (issue 17): which S3-compatible store keeps the uploaded models.
 *
 *   s3://[ACCESS_KEY_ID:SECRET_ACCESS_KEY@]BUCKET[/PREFIX][?endpoint=URL&region=REGION&forcePathStyle=true|false]
 *
 * - BUCKET: an S3 bucket name (3 to 63 of a-z 0-9 . -); it must exist.
 * - PREFIX: optional folder for the keys, `PREFIX/<id[0..2]>/<id>.onnx`.
 * - credentials: in the URL (percent-encoded, both or neither), else the AWS SDK's own chain
 *   (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, an instance role).
 * - endpoint: an http(s) URL for a store other than AWS (MinIO, Ceph, R2, …); region: else the SDK's
 *   (AWS_REGION); forcePathStyle: `true` for stores that serve `host/bucket` rather than `bucket.host`.
 *
 * Parsed here, without the SDK, so the configuration refuses a malformed URL at start.
 */

/** What an S3ModelStore is built from. */
export interface S3ModelStoreConfig {
  bucket: string;
  /** Key prefix without leading or trailing slash; "" for the bucket's root. */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,40}$/;
const PARAMS = new Set(["endpoint", "region", "forcePathStyle"]);
export const MODEL_STORE_URL_FORM =
  "s3://[ACCESS_KEY_ID:SECRET_ACCESS_KEY@]BUCKET[/PREFIX][?endpoint=http(s)://HOST[:PORT]&region=REGION&forcePathStyle=true|false]";

/** The store MODEL_STORE_URL names; an Error that says what is wrong (and never echoes a secret) otherwise. */
export function parseModelStoreUrl(value: string): S3ModelStoreConfig {
  const bad = (why: string) => new Error(`MODEL_STORE_URL ${why}; the form is ${MODEL_STORE_URL_FORM}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad("is not a URL");
  }
  if (url.protocol !== "s3:") throw bad(`has the scheme '${url.protocol.slice(0, 20)}', not 's3:'`);
  if (url.hash) throw bad("has a #fragment");
  if (url.port) throw bad("has a port after the bucket: give the store's address as ?endpoint=");
  const bucket = url.hostname;
  if (!BUCKET.test(bucket) || bucket.includes("..")) {
    throw bad(`names no valid bucket ('${bucket.slice(0, 80)}': 3 to 63 of a-z 0-9 . -, starting and ending with a letter or digit)`);
  }
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw bad(`has a malformed percent-encoding in the ${what}`);
    }
  };
  const prefix = decode(url.pathname, "prefix").replace(/^\/+|\/+$/g, "");
  if (prefix !== "" && prefix.split("/").some((p) => p === "" || p === "." || p === "..")) {
    throw bad("has a prefix with an empty, '.' or '..' segment");
  }

  const config: S3ModelStoreConfig = { bucket, prefix, forcePathStyle: false };
  if (url.username || url.password) {
    if (!url.username || !url.password) throw bad("has credentials without both an access key id and a secret (ID:SECRET@)");
    config.credentials = { accessKeyId: decode(url.username, "access key id"), secretAccessKey: decode(url.password, "secret") };
  }
  for (const key of new Set(url.searchParams.keys())) {
    if (!PARAMS.has(key)) throw bad(`has an unknown parameter '${key.slice(0, 40)}' (known: ${[...PARAMS].join(", ")})`);
    if (url.searchParams.getAll(key).length > 1) throw bad(`gives '${key}' more than once`);
  }
  const endpoint = url.searchParams.get("endpoint");
  if (endpoint !== null) {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      throw bad(`has an endpoint that is not a URL ('${endpoint.slice(0, 80)}')`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw bad("has an endpoint that is not http:// or https://");
    if (parsed.username || parsed.password) throw bad("has credentials in the endpoint: put them before the bucket");
    if (parsed.search || parsed.hash) throw bad("has an endpoint with a query or fragment (percent-encode it, or drop it)");
    config.endpoint = parsed.href.replace(/\/$/, "");
  }
  const region = url.searchParams.get("region");
  if (region !== null) {
    if (!REGION.test(region)) throw bad(`has an invalid region '${region.slice(0, 40)}'`);
    config.region = region;
  }
  const pathStyle = url.searchParams.get("forcePathStyle");
  if (pathStyle !== null) {
    if (pathStyle !== "true" && pathStyle !== "false") throw bad("has forcePathStyle other than true or false");
    config.forcePathStyle = pathStyle === "true";
  }
  return config;
}

/** `s3://bucket/prefix`, for logs: no credentials. */
export function describeS3Location(config: Pick<S3ModelStoreConfig, "bucket" | "prefix" | "endpoint">): string {
  const at = config.endpoint ? ` at ${config.endpoint}` : "";
  return `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ""}${at}`;
}
