// @proofgrid/por — Proof of Render, pure and deterministic: no database, no web framework,
// no inference runtime. Plain data in, plain data out; node:crypto for hashing and signing.

export * from "./crypto/base64url.ts";
export * from "./crypto/canonical-json.ts";
export * from "./crypto/ed25519.ts";

export * from "./protocol/request-signing.ts";
export * from "./protocol/tensor-ranges.ts";
export * from "./receipts/receipt.ts";

export * from "./pricing/compute-units.ts";
export * from "./rewards/reward-split.ts";

export * from "./compare/comparison-result.ts";
export * from "./compare/float-tensors.ts";
export * from "./compare/embeddings.ts";
export * from "./compare/ocr.ts";
export * from "./compare/speech-segments.ts";
export * from "./compare/classification.ts";
export * from "./compare/compare-job-outputs.ts";

export * from "./sampling/sampling-policy.ts";
export * from "./reputation/reputation.ts";

export * from "./penalties/slashing.ts";
export * from "./penalties/penalty-ladder.ts";
export * from "./penalties/minimum-stake.ts";

export * from "./challenges/prng.ts";
export * from "./challenges/challenge-seed.ts";
export * from "./challenges/generate-challenge.ts";
export * from "./challenges/ocr-challenge.ts";
export * from "./challenges/vad-challenge.ts";
export * from "./challenges/embedding-challenge.ts";
export * from "./challenges/tensor-challenge.ts";
export * from "./challenges/planted-output.ts";
export { documentLine, sentence } from "./challenges/text-templates.ts";
export * from "./protocol/custom-model-run.ts";
export * from "./protocol/leased-job.ts";
export * from "./protocol/check-task.ts";
export * from "./protocol/node-messages.ts";
export * from "./protocol/node-session.ts";

export * from "./economics/exposure.ts";
export * from "./economics/provider-probation.ts";
