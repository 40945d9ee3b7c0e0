export * from "./clients.ts";
export * from "./compile.ts";
export * from "./config.ts";
export * from "./deploy.ts";
export * from "./raw-transaction.ts";
