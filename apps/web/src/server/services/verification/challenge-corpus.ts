import {
  insertCorpusInput,
  insertCorpusItem,
  loadReplayCandidates,
  takeCorpusItems,
  takeReplayInput,
  trimChallengeCorpus,
} from "@proofgrid/db/challenges/challenge-corpus";
import { drawTrafficSample, insertTrafficSamples, loadTrafficJobs, trimTrafficSamples } from "@proofgrid/db/challenges/traffic-samples";
import { sql } from "@proofgrid/db/sql-client";
import { isModelSlug } from "@proofgrid/models/catalog";
import { type CustomInputShape, isCustomInputShape, measureCustomInput } from "@proofgrid/models/custom/tensor-traffic";
import type { ChallengeContent } from "@proofgrid/models/traffic/render-traffic-challenge";
import { type InputShape, measureInput } from "@proofgrid/models/traffic/measure-input";
import { nearestShape } from "@proofgrid/models/traffic/shape-distance";
import { parseWavHeader, readWavSamples } from "@proofgrid/models/audio/wav";
import { isCustomModelSlug } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { PROTOCOL_ORG_ID } from "./protocol-org.ts";

// What challenges are made of (issue 12):
// - traffic_samples: the shape of recent customer inputs per model (numbers only: sizes,
//   formats, layout, lengths, noise floor; measureInput), a bounded sample per model;
// - challenge_corpus: content from the verified jobs of organisations that opted in
//   (`donates_challenge_inputs`): their sentences, the lines the OCR model read, and the
//   speech the VAD model found, cut out, and the stretches around it (the room); and each
//   donated input whole (kind 'input'), which a challenge replays once, byte for byte, in
//   place of a rendered one. Private to the platform's database, never in a package, and
//   never handed to a provider whose node ran or checked the source job.
// Uploaded models (issue 17) have traffic samples too — each input tensor's name, datatype,
// shape and value statistics (tensor-traffic.ts) — and no corpus: their challenges are
// rendered from the numbers, and nothing of a customer's tensors is kept, donor or not.

/** Shapes kept per model: the newest this many customer jobs. */
const SAMPLES_PER_MODEL = 500;
/** Corpus items kept per kind (sentence, line, speech): the newest this many. */
const CORPUS_PER_KIND = 5_000;
/** Whole donated inputs kept per model, unreplayed: the newest this many. */
const INPUTS_PER_MODEL = 2_000;
/** Unused donated inputs looked at for one replay: the nearest in shape is taken. */
const REPLAY_CANDIDATES = 48;
/** Jobs measured per tick: measuring decodes images and audio. */
const JOBS_PER_TICK = 40;
/** Candidates drawn for one challenge. */
const CANDIDATES = 64;
/** Speech clips kept: 0.3–8 s of what the model marked as speech. */
const CLIP_MIN_S = 0.3;
const CLIP_MAX_S = 8;

let cursor: Date | undefined;

/**
 * Measures the customer jobs finished since the last tick (at most JOBS_PER_TICK, oldest
 * first): their shapes join traffic_samples, and a donor's content joins the corpus.
 * Idempotent (one sample per job); after a restart it looks back an hour.
 */
export async function sampleTraffic(): Promise<number> {
  const after = cursor ?? new Date(Date.now() - 3_600_000);
  const jobs = await loadTrafficJobs(sql(), { after, limit: JOBS_PER_TICK, protocolOrgId: PROTOCOL_ORG_ID });
  // The tick's shapes are written together, one statement (issue 15: one per job was most of
  // the coordinator's statements under load).
  const samples: { modelId: string; jobId: string; shape: unknown }[] = [];
  for (const j of jobs) {
    if (isCustomModelSlug(j.slug)) {
      try {
        samples.push({ modelId: j.model_id, jobId: j.id, shape: measureCustomInput(j.input) });
      } catch (err) {
        logger.warn({ err, jobId: j.id }, "traffic sample: input not measured");
      }
      continue;
    }
    if (!isModelSlug(j.slug)) continue;
    try {
      const measured = await measureInput(j.slug, j.input, j.output);
      samples.push({ modelId: j.model_id, jobId: j.id, shape: measured.shape });
      if (j.donates) {
        await donate(j.id, j.provider, j.slug, j.input, j.output);
        await insertCorpusInput(sql(), {
          modelId: j.model_id,
          input: j.input,
          shape: measured.shape,
          sourceJobId: j.id,
          sourceOrgId: j.provider,
        });
      }
    } catch (err) {
      logger.warn({ err, jobId: j.id }, "traffic sample: input not measured");
    }
  }
  // Past these jobs whatever happens, as when each was written alone: a donor's content is
  // in the corpus already, and measuring them again would add it twice.
  const last = jobs.at(-1);
  if (last) cursor = last.finished_at;
  try {
    await insertTrafficSamples(sql(), samples);
  } catch (err) {
    logger.warn({ err, jobs: samples.length }, "traffic sample: shapes not stored");
  }
  if (jobs.length > 0) await trim();
  return jobs.length;
}

async function donate(jobId: string, provider: string | null, slug: string, input: unknown, output: unknown): Promise<void> {
  const add = (kind: string, text: string | null, audio: Buffer | null, durationMs: number | null) =>
    insertCorpusItem(sql(), { kind, text, audio, durationMs, sourceJobId: jobId, sourceOrgId: provider });
  if (slug === "encoder-synthetic-minilm") {
    const texts = "texts" in (input as object) ? (input as { texts: string[] }).texts : [(input as { text: string }).text];
    // Whole texts, as their customers wrote them: split into sentences, abbreviations
    // ("Aug. 31") leave fragments no customer sends.
    for (const t of texts.slice(0, 32)) if (t.length >= 2 && t.length <= 2_000) await add("sentence", t, null, null);
  } else if (slug === "ocr-ppocr-v4") {
    const lines = (output as { lines?: { text?: string; confidence?: number }[] }).lines ?? [];
    for (const l of lines.slice(0, 64))
      if (l.text && l.text.length >= 2 && l.text.length <= 120 && (l.confidence ?? 0) >= 0.8) await add("line", l.text, null, null);
  } else if (slug === "vad-silero-v5") {
    const file = Buffer.from((input as { audio: string }).audio, "base64");
    const info = parseWavHeader(file);
    const x = readWavSamples(file, info);
    const segments = ((output as { segments?: { start: number; end: number }[] }).segments ?? []).slice(0, 16);
    // The stretches without speech: the recording's room, the background of challenges.
    const total = x.length / info.sampleRate;
    const edges = [0, ...segments.flatMap((s) => [s.start, s.end]), total];
    let rooms = 0;
    for (let i = 0; i + 1 < edges.length && rooms < 4; i += 2) {
      const from = (edges[i] as number) + 0.05;
      const to = Math.min((edges[i + 1] as number) - 0.05, from + 5);
      if (to - from < 0.5) continue;
      const pcm = Int16Array.from(x.subarray(Math.round(from * info.sampleRate), Math.round(to * info.sampleRate)), (v) =>
        Math.max(-32_768, Math.min(32_767, Math.round(v * 32_768))),
      );
      await add("room", null, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), Math.round((to - from) * 1000));
      rooms++;
    }
    for (const s of segments) {
      const len = s.end - s.start;
      if (!(len >= CLIP_MIN_S && len <= CLIP_MAX_S)) continue;
      const from = Math.round(s.start * info.sampleRate);
      const to = Math.min(x.length, Math.round(s.end * info.sampleRate));
      const pcm = Int16Array.from(x.subarray(from, to), (v) => Math.max(-32_768, Math.min(32_767, Math.round(v * 32_768))));
      await add("speech", null, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), Math.round(len * 1000));
    }
  }
}

async function trim(): Promise<void> {
  await trimTrafficSamples(sql(), { perModel: SAMPLES_PER_MODEL });
  await trimChallengeCorpus(sql(), { inputsPerModel: INPUTS_PER_MODEL, perKind: CORPUS_PER_KIND });
}

/**
 * A donated input to replay as a challenge on a node of `subjectOrgId`, byte for byte: the
 * unused one nearest `shape` (a recent customer job's) among a random draw, taken for good
 * (each is replayed once: a second sending could be recognised, and a donated input reaches
 * at most one provider beyond the ones that ran and checked it). Never one that the
 * subject's provider ran or checked. Null when none of the shape's form is left: the caller
 * renders one instead. A replayed input is real traffic, so no statistic of its payload can
 * tell it from a customer's (bench:por measures it).
 */
export async function drawReplayInput(opts: { modelId: string; subjectOrgId: string; shape: InputShape }): Promise<unknown | null> {
  const { modelId, subjectOrgId } = opts;
  const rows = await loadReplayCandidates<InputShape>(sql(), { modelId, subjectOrgId, limit: REPLAY_CANDIDATES });
  const at = nearestShape(
    opts.shape,
    rows.map((r) => r.shape),
  );
  const pick = rows[at];
  if (!pick) return null;
  // Taken only if still unused: two challenges drawing at once never share an input.
  return takeReplayInput(sql(), { id: pick.id });
}

/** The shape of one recent customer job of this model, drawn at random; null before any traffic. */
export async function drawTrafficShape(modelId: string): Promise<InputShape | null> {
  return drawTrafficSample<InputShape>(sql(), { modelId });
}

/** The numbers of one recent customer job of this uploaded model, drawn at random; null before any traffic. */
export async function drawCustomTrafficShape(modelId: string): Promise<CustomInputShape | null> {
  const s = await drawTrafficSample<unknown>(sql(), { modelId });
  return isCustomInputShape(s) ? s : null;
}

/**
 * Content for one challenge on a node of `subjectOrgId`: candidates from the corpus, least
 * used first, never from a job that provider's nodes ran (they might remember it).
 */
export async function drawChallengeContent(opts: {
  subjectOrgId: string;
  kind: "sentence" | "line" | "speech";
}): Promise<ChallengeContent> {
  const content = await drawKind(opts.subjectOrgId, opts.kind);
  if (opts.kind === "speech") content.room = [...(await drawKind(opts.subjectOrgId, "room")).speech];
  return content;
}

async function drawKind(
  subjectOrgId: string,
  kind: "sentence" | "line" | "speech" | "room",
): Promise<ChallengeContent & { room?: Int16Array[] }> {
  const audio = kind === "speech" || kind === "room";
  const rows = await takeCorpusItems(sql(), { kind, subjectOrgId, limit: audio ? 16 : CANDIDATES });
  const content: ChallengeContent & { room?: Int16Array[] } = { sentences: [], lines: [], speech: [] };
  for (const r of rows) {
    if (kind === "sentence" && r.text) (content.sentences as string[]).push(r.text);
    if (kind === "line" && r.text) (content.lines as string[]).push(r.text);
    if (audio && r.audio) {
      const b = Buffer.from(r.audio);
      (content.speech as Int16Array[]).push(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    }
  }
  return content;
}

export const CORPUS_KIND_OF_SLUG: Record<string, "sentence" | "line" | "speech"> = {
  "encoder-synthetic-minilm": "sentence",
  "ocr-ppocr-v4": "line",
  "vad-silero-v5": "speech",
};
