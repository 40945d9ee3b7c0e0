export * from "./accounts.ts";
export * from "./check-ledger.ts";
export * from "./ledger-error.ts";
export * from "./post-transfer.ts";
export * from "./debt.ts";
