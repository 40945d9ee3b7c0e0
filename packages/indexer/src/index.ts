// @proofgrid/indexer — job placement, pure: plain data in, plain data out, no I/O.
// The coordinator feeds it worker state and asks where a job should run.

export * from "./geo.ts";
export * from "./scoring.ts";
export * from "./worker-index.ts";
export * from "./match.ts";
export * from "./fair-share.ts";
