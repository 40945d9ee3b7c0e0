import { ENCODER_SHAPE } from "../encoder/build-encoder.ts";
import { encodeText } from "../encoder/tokenizer.ts";
import { checkEncoderInput } from "../inspect-input.ts";
import { type EncoderOutput, LIMITS } from "../model-schemas.ts";
import { assemblePipeline } from "./assemble-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";
import { assertSessionIo, ModelSession, ort, outputTensor, type SessionOptions } from "./session.ts";

export async function createEncoderPipeline(
  file: string,
  id: string,
  options: Required<SessionOptions>,
): Promise<Pipeline<"encoder-synthetic-minilm">> {
  const session = await ModelSession.create(file, options);
  assertSessionIo(session, "synthetic encoder", ["input_ids"], ["embedding"]);

  async function run(input: unknown): Promise<EncoderOutput> {
    const { texts } = checkEncoderInput(input);
    const vectors: number[][] = [];
    // One text per run, unpadded: a text's vector never depends on the others in its job
    // (a padded batch changes the matrix shapes and so the float rounding).
    for (const text of texts) {
      const ids = encodeText(text, LIMITS.encoderMaxTokens);
      const out = await session.run({ input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]) });
      const v = outputTensor(out, "embedding");
      if (v.size !== ENCODER_SHAPE.hidden) throw new Error(`encoder returned ${v.size} values, expected ${ENCODER_SHAPE.hidden}`);
      vectors.push(Array.from(v.data as Float32Array));
    }
    return { dim: ENCODER_SHAPE.hidden, vectors };
  }

  return assemblePipeline({ slug: "encoder-synthetic-minilm", id, options, sessions: [session], run });
}
