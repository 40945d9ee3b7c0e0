import { createRequire } from "node:module";
import { type EncoderInput, type EncoderOutput, encoderSchemaFor, LIMITS } from "../catalog.ts";
import { ENCODER_SHAPE } from "../encoder/build-encoder.ts";
import { ModelInputError } from "../model-input-error.ts";
import { assemblePipeline, type Pipeline } from "./pipeline.ts";
import { ort, type SessionOptions, TracedSession } from "./session.ts";

const require = createRequire(import.meta.url);
const CLS = 101;
const SEP = 102;

interface Tokenizer {
  tokenize(text: string): number[];
}

export async function createEncoderPipeline(file: string, vocabPath: string, opts: SessionOptions): Promise<Pipeline<EncoderInput, EncoderOutput>> {
  const { BertTokenizer } = require("bert-tokenizer") as { BertTokenizer: new (vocab: string, lower: boolean) => Tokenizer };
  const tokenizer = new BertTokenizer(vocabPath, true);
  const session = await TracedSession.create(file, opts);

  async function embed(text: string): Promise<number[]> {
    const ids = [CLS, ...tokenizer.tokenize(text).slice(0, LIMITS.encoderMaxTokens - 2), SEP];
    const out = await session.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      position_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map((_, i) => BigInt(i))), [ids.length]),
    });
    return Array.from(out.embedding?.data as Float32Array);
  }

  async function run(input: EncoderInput): Promise<EncoderOutput> {
    const parsed = encoderSchemaFor(input).safeParse(input);
    if (!parsed.success) throw new ModelInputError("encoder input must be { text } or { texts: [] }");
    const texts = "text" in parsed.data ? [parsed.data.text] : parsed.data.texts;
    const vectors: number[][] = [];
    for (const t of texts) vectors.push(await embed(t));
    return { dim: ENCODER_SHAPE.hidden, vectors };
  }

  return assemblePipeline("encoder-synthetic-minilm", [session], run);
}
