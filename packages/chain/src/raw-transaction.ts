import { type Hex, keccak256, serializeTransaction, type Transaction } from "viem";

/**
 * A mined transaction's signed bytes, rebuilt from the fields an RPC returns (Hardhat has no
 * `eth_getRawTransactionByHash`). The result is checked against the transaction's hash, so a
 * field this function misreads can never produce a wrong raw transaction silently.
 */
export function rawTransaction(tx: Transaction): Hex {
  const signature = { r: tx.r, s: tx.s, yParity: tx.yParity ?? Number(tx.v ?? 0n), v: tx.v };
  let raw: Hex;
  switch (tx.type) {
    case "eip1559":
      raw = serializeTransaction(
        {
          type: "eip1559",
          chainId: tx.chainId,
          nonce: tx.nonce,
          to: tx.to ?? undefined,
          value: tx.value,
          data: tx.input,
          gas: tx.gas,
          maxFeePerGas: tx.maxFeePerGas,
          maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
          accessList: tx.accessList,
        },
        { r: signature.r, s: signature.s, yParity: signature.yParity },
      );
      break;
    case "eip2930":
      raw = serializeTransaction(
        {
          type: "eip2930",
          chainId: tx.chainId,
          nonce: tx.nonce,
          to: tx.to ?? undefined,
          value: tx.value,
          data: tx.input,
          gas: tx.gas,
          gasPrice: tx.gasPrice,
          accessList: tx.accessList,
        },
        { r: signature.r, s: signature.s, yParity: signature.yParity },
      );
      break;
    case "legacy":
      raw = serializeTransaction(
        {
          type: "legacy",
          chainId: tx.chainId,
          nonce: tx.nonce,
          to: tx.to ?? undefined,
          value: tx.value,
          data: tx.input,
          gas: tx.gas,
          gasPrice: tx.gasPrice,
        },
        { r: signature.r, s: signature.s, v: signature.v },
      );
      break;
    default:
      throw new Error(`transaction ${tx.hash}: type ${tx.type} is not journaled`);
  }
  if (keccak256(raw) !== tx.hash) throw new Error(`transaction ${tx.hash}: rebuilt bytes hash to ${keccak256(raw)}`);
  return raw;
}
