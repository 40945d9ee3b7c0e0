import { readWavSamples } from "../audio/wav.ts";
import { checkAudioInput } from "../inspect-input.ts";
import type { VadOutput } from "../model-schemas.ts";
import { speechSegments, VAD_PARAMS } from "../vad/speech-segments.ts";
import { assemblePipeline } from "./assemble-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";
import { assertSessionIo, ModelSession, ort, outputTensor, type SessionOptions } from "./session.ts";

const WINDOW = VAD_PARAMS.windowSamples;
/** v5 expects the previous window's last 64 samples in front of each window (silero's OnnxWrapper). */
const CONTEXT = 64;
const STATE_DIMS = [2, 1, 128];

export async function createVadPipeline(file: string, id: string, options: Required<SessionOptions>): Promise<Pipeline<"vad-silero-v5">> {
  const session = await ModelSession.create(file, options);
  assertSessionIo(session, "Silero VAD v5", ["input", "state", "sr"], ["output", "stateN"]);
  const sr = new ort.Tensor("int64", BigInt64Array.of(BigInt(VAD_PARAMS.sampleRate)), []);

  async function run(input: unknown): Promise<VadOutput> {
    const audio = checkAudioInput(input);
    const samples = readWavSamples(Buffer.from(audio.body, "base64"), audio.wav);
    // A recurrent model: windows run in order, each with the state the previous one left.
    const frames = Math.ceil(samples.length / WINDOW);
    const probs = new Float32Array(frames);
    let state = new ort.Tensor("float32", new Float32Array(STATE_DIMS.reduce((a, b) => a * b, 1)), STATE_DIMS);
    let context = new Float32Array(CONTEXT);
    for (let f = 0; f < frames; f++) {
      const x = new Float32Array(CONTEXT + WINDOW);
      x.set(context, 0);
      // The last window is zero-padded, as get_speech_timestamps pads it.
      x.set(samples.subarray(f * WINDOW, Math.min(samples.length, (f + 1) * WINDOW)), CONTEXT);
      const out = await session.run({ input: new ort.Tensor("float32", x, [1, CONTEXT + WINDOW]), state, sr });
      probs[f] = (outputTensor(out, "output").data as Float32Array)[0] as number;
      state = outputTensor(out, "stateN") as typeof state;
      context = x.subarray(WINDOW);
    }
    const durationSec = samples.length / VAD_PARAMS.sampleRate;
    return { segments: speechSegments(probs, samples.length), durationSec: Math.round(durationSec * 1000) / 1000, frames };
  }

  return assemblePipeline({ slug: "vad-silero-v5", id, options, sessions: [session], run });
}
