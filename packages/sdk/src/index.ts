// @proofgrid/sdk: the typed client (browser and Node). Receipt verification, which needs
// Node's crypto, is `@proofgrid/sdk/verify`; the CLI is `proofgrid` (src/cli.ts).
export * from "./client.ts";
export * from "./errors.ts";
export type { RetryEvent, RetryOptions } from "./retry.ts";
export type { components, operations, paths } from "./generated/schema.d.ts";
