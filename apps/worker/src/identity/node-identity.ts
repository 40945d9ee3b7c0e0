import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const ZNodeIdentity = z.object({
  nodeId: z.uuid(),
  url: z.url(),
  publicKey: z.string().min(43).max(44),
  privateKey: z.string().min(43).max(44),
  region: z.string(),
  name: z.string(),
  /** What `register` benchmarked on; `start` runs on it unless told otherwise (older files lack it). */
  executionProvider: z.enum(["cpu", "cuda"]).optional(),
});
export type NodeIdentity = z.infer<typeof ZNodeIdentity>;

const FILE = "node.json";

export function loadIdentity(dir: string): NodeIdentity {
  let raw: string;
  try {
    raw = readFileSync(join(dir, FILE), "utf8");
  } catch {
    throw new Error(`no node identity in ${dir}: run 'proofgrid-worker register --token <token>' first`);
  }
  return ZNodeIdentity.parse(JSON.parse(raw));
}

/** Written atomically (temp file + rename) with mode 0600: it holds the private key. */
export function saveIdentity(dir: string, identity: NodeIdentity): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `${FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, join(dir, FILE));
}
