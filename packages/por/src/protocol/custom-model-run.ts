import { z } from "zod";

// What a node needs to run a customer's uploaded model (issue 17), carried by a lease and by a
// check task's item. The model is a file the node fetches by its id (GET /api/node/models/{id},
// verified against the sha256), so this is only what the file does not say by itself: the
// signature its inputs are checked against, the size the download must have, and the
// determinism flag a checker's comparison tolerance depends on. Optional in both messages:
// a catalog model needs none of it, and a worker that predates custom models ignores it.

/** One input or output as the platform's validation recorded it (packages/models validate-onnx). */
const ZTensorSignature = z.object({
  name: z.string().min(1).max(256),
  elemType: z.string().min(1).max(40),
});

export const ZCustomModelRun = z.object({
  /** The file to fetch and verify: the sha256 of its bytes. */
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.object({
    inputs: z
      .array(
        ZTensorSignature.extend({
          /** Each dimension's size; a dynamic one is its bound, named in `dynamic`. */
          shape: z.array(z.number().int().min(0)).max(64),
          /** Dynamic dimensions: index → the model's name for it. */
          dynamic: z.record(z.string().regex(/^[0-9]{1,2}$/), z.string().max(256)),
        }),
      )
      .min(1)
      .max(64),
    outputs: z.array(ZTensorSignature).min(1).max(64),
  }),
  /** The file's size in bytes: the download is checked against it. */
  fileBytes: z.number().int().positive(),
  /** Two honest runs at validation agreed bit for bit: the tighter comparison tolerance. */
  deterministic: z.boolean(),
});
export type CustomModelRun = z.infer<typeof ZCustomModelRun>;

/** Uploaded models' slugs (`custom-<12 hex of the id>`, or the whole id): never a catalog slug. */
export const CUSTOM_MODEL_SLUG_PREFIX = "custom-";

export function isCustomModelSlug(slug: string): boolean {
  return slug.startsWith(CUSTOM_MODEL_SLUG_PREFIX);
}
