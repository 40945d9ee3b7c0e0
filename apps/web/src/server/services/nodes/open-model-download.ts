import type { Readable } from "node:stream";
import { nodeMayDownloadModel } from "@proofgrid/db/nodes/model-downloads";
import { sql } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { type ByteRange, parseRange } from "../../http/byte-range.ts";
import { modelStore } from "../models/model-store.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

const MODEL_ID = /^[0-9a-f]{64}$/;

/** A model's bytes as a node asked for them: all, one range, or a range that cannot be served. */
export type ModelDownload =
  | { kind: "full"; size: number; body: Readable }
  | { kind: "partial"; size: number; range: ByteRange; body: Readable }
  | { kind: "unsatisfiable"; size: number; reason: string };

export interface OpenModelDownloadOptions {
  node: NodeIdentity;
  /** The model's id: the sha256 of its bytes. */
  modelId: string;
  /** The request's Range header, if any. */
  range: string | null;
}

/**
 * Opens a model file for a node that holds work on it (issue 17, workers fetch and cache):
 * streamed from the content-addressed store (local disk or S3, a ranged GetObject), never read whole. A node without such work
 * gets the same 404 as for a model that does not exist: which hashes are models is no
 * node's business until it is sent a job of one.
 */
export async function openModelDownload(opts: OpenModelDownloadOptions): Promise<ModelDownload> {
  const notFound = () => new AppError("NOT_FOUND", "no such model for this node");
  if (!MODEL_ID.test(opts.modelId)) throw notFound();
  if (!(await nodeMayDownloadModel(sql(), { nodeId: opts.node.id, modelId: opts.modelId }))) throw notFound();
  const store = modelStore();
  const size = await store.size(opts.modelId);
  if (size === null) throw notFound();
  const asked = parseRange(opts.range, size);
  switch (asked.kind) {
    case "full":
      return { kind: "full", size, body: await store.read(opts.modelId) };
    case "partial":
      return { kind: "partial", size, range: asked.range, body: await store.read(opts.modelId, asked.range) };
    case "unsatisfiable":
      return { kind: "unsatisfiable", size, reason: asked.reason };
  }
}
