export * from "./crypto/base64url.ts";
export * from "./crypto/canonical-json.ts";
export * from "./crypto/ed25519.ts";
export * from "./pricing/compute-units.ts";
export * from "./protocol/request-signing.ts";
export * from "./receipts/receipt.ts";
export * from "./rewards/reward-split.ts";
