import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { getPlatformKey } from "./platform-key.ts";

export async function getPublicKeys(opts: { nodeId?: string }) {
  const platform = getPlatformKey().publicKey;
  if (!opts.nodeId) return { platform };
  const node = await db().node.findUnique({ where: { id: opts.nodeId }, select: { id: true, publicKey: true } });
  if (!node) throw new AppError("NOT_FOUND", "node not found");
  return { platform, node: { id: node.id, publicKey: node.publicKey } };
}
