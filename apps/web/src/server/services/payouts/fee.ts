// A withdrawal's fee: flat plus basis points of the amount, rounded up. Pure, so the payouts
// page shows the fee the server will charge as the amount is typed.

export function feeFor(amount: bigint, config: { fee: bigint; feeBps: number }): bigint {
  const bps = BigInt(config.feeBps);
  return config.fee + (amount * bps + 9_999n) / 10_000n;
}
