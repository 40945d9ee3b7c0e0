export type LedgerErrorCode = "insufficient_funds" | "unbalanced" | "unknown_account" | "invalid_amount";

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly accountCode?: string,
  ) {
    super(message);
    this.name = "LedgerError";
  }
}
