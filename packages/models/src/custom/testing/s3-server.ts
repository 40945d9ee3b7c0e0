// A real S3-compatible HTTP server for tests (s3rver), on a free loopback port, with a bucket
// made for the test: the official SDK talks to it as to any S3 store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  /** A MODEL_STORE_URL for the bucket under `prefix`, with s3rver's fixed credentials. */
  storeUrl(prefix?: string): string;
  close(): Promise<void>;
}

/** s3rver accepts requests signed with these. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export async function startTestS3Server(opts: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = opts.bucket ?? "proofgrid-models";
  const directory = mkdtempSync(join(tmpdir(), "proofgrid-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    storeUrl: (prefix = "") =>
      `s3://${S3RVER_CREDENTIALS.accessKeyId}:${S3RVER_CREDENTIALS.secretAccessKey}@${bucket}/${prefix}?` +
      new URLSearchParams({ endpoint, region: "us-east-1", forcePathStyle: "true" }).toString(),
    close: async () => {
      try {
        await server.close();
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}
