import { floatToPcm16, wavBytesPcm16 } from "@proofgrid/models/audio/wav-bytes";

/** The rate and layout Silero VAD takes (and the playground's upload asks for). */
const RATE = 16_000;
/** The playground's recordings stop themselves at this length (the job accepts 10 min). */
export const MAX_RECORDING_MS = 60_000;

export interface Recording {
  /** Stops the microphone and returns the recording as a 16 kHz mono PCM16 WAV. */
  stop(): Promise<ArrayBuffer>;
  /** Stops the microphone and throws the recording away. */
  cancel(): void;
}

/**
 * Records from the microphone with the browser's MediaRecorder, then decodes what it
 * recorded (webm/opus in Chromium, mp4 in Safari) and resamples it to 16 kHz mono with an
 * OfflineAudioContext: the WAV the VAD job takes. Throws a message a person can act on
 * when there is no microphone or permission is refused.
 */
export async function startRecording(onAutoStop?: () => void): Promise<Recording> {
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
    throw new Error("This browser cannot record audio here: upload a WAV file instead.");
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } });
  } catch (err) {
    const name = err instanceof DOMException ? err.name : "";
    throw new Error(
      name === "NotAllowedError"
        ? "The browser was not allowed to use the microphone: allow it in the address bar, or upload a WAV file."
        : "No microphone was found: plug one in, or upload a WAV file.",
    );
  }
  const recorder = new MediaRecorder(stream);
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  };
  const stopped = new Promise<void>((resolve) => {
    recorder.onstop = () => resolve();
  });
  const release = () => {
    for (const t of stream.getTracks()) t.stop();
  };
  recorder.start(250);
  const timer = setTimeout(() => {
    if (recorder.state === "recording") {
      recorder.stop();
      release(); // the microphone goes off at the limit, not when the person comes back
      onAutoStop?.();
    }
  }, MAX_RECORDING_MS);
  return {
    async stop() {
      clearTimeout(timer);
      if (recorder.state === "recording") recorder.stop();
      await stopped;
      release();
      const blob = new Blob(chunks, { type: recorder.mimeType });
      if (blob.size === 0) throw new Error("Nothing was recorded: try again, and speak for a second or more.");
      return toWav16kMono(blob);
    },
    cancel() {
      clearTimeout(timer);
      if (recorder.state === "recording") recorder.stop();
      release();
    },
  };
}

/**
 * Any audio the browser decodes (a recording, a WAV at 22.05 or 44.1 kHz, stereo, 24-bit…)
 * as the 16 kHz mono PCM16 WAV the VAD job takes: decoded, then mixed down and resampled by
 * an OfflineAudioContext. Throws a message a person can act on when it cannot be decoded.
 */
export async function toWav16kMono(blob: Blob): Promise<ArrayBuffer> {
  const ctx = new AudioContext();
  let decoded: AudioBuffer;
  try {
    decoded = await ctx.decodeAudioData(await blob.arrayBuffer());
  } catch {
    throw new Error("This file could not be read as audio: choose a WAV file.");
  } finally {
    await ctx.close();
  }
  const frames = Math.max(1, Math.ceil(decoded.duration * RATE));
  // One output channel: the offline context mixes the recording down to mono as it resamples.
  const offline = new OfflineAudioContext(1, frames, RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  const rendered = await offline.startRendering();
  const bytes = wavBytesPcm16(floatToPcm16(rendered.getChannelData(0)), RATE);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
