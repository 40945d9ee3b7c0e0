import { randomBytes } from "node:crypto";
import {
  countRecentChallenges,
  insertChallenge,
  lockChallenge,
  lockOrgForChallenge,
  markChallengeUsed,
  purgeExpiredChallenges,
} from "@proofgrid/db/payouts/payout-address-challenges";
import { loadPayoutAddress, savePayoutAddress } from "@proofgrid/db/payouts/payout-addresses";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { type Address, getAddress, type Hex, isAddress, recoverMessageAddress, verifyMessage } from "viem";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { getPayoutConfig, requirePayoutChain } from "./payout-config.ts";

/**
 * A payout address is where a provider's withdrawals are paid. Setting it takes proof that
 * the provider holds the address's key: the server issues a message (organisation, address,
 * chain, a 128-bit nonce, an expiry), the provider signs it with EIP-191 `personal_sign`, and
 * viem's verifyMessage checks the signature recovers to the address. A challenge works once,
 * for its organisation only, before it expires. Externally owned accounts only: a contract
 * wallet (ERC-1271) cannot sign this way.
 */

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** A checksummed address, or a 400 that says what is wrong with the text. */
export function parsePayoutAddress(text: unknown): Address {
  if (typeof text !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(text.trim())) {
    throw new AppError("BAD_REQUEST", "address must be 0x followed by 40 hexadecimal characters (an Ethereum address)");
  }
  const t = text.trim();
  // All lower (or upper) case carries no checksum; mixed case must be EIP-55's.
  if (!isAddress(t, { strict: true }))
    throw new AppError("BAD_REQUEST", "address has a wrong EIP-55 checksum (its mixed-case letters): check it for a typo");
  const address = getAddress(t);
  if (address === ZERO_ADDRESS) throw new AppError("BAD_REQUEST", "the zero address cannot receive payouts");
  return address;
}

export interface PayoutAddressChallenge {
  challengeId: string;
  address: Address;
  message: string;
  expiresAt: Date;
}

function challengeMessage(opts: {
  orgId: string;
  orgName: string;
  address: Address;
  chainId: number | null;
  nonce: string;
  expiresAt: Date;
}): string {
  // The organisation's name is the user's text: one line, no control characters, bounded.
  const name = opts.orgName.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, " ").slice(0, 80);
  return [
    "Proofgrid payout address",
    "",
    `Pay the earnings of the organisation "${name}" to ${opts.address}.`,
    "Signing proves you hold this address's key. It sends no transaction and costs nothing.",
    "",
    `Organisation: ${opts.orgId}`,
    `Address: ${opts.address}`,
    ...(opts.chainId === null ? [] : [`Chain ID: ${opts.chainId}`]),
    `Nonce: ${opts.nonce}`,
    `Expires: ${opts.expiresAt.toISOString()}`,
  ].join("\n");
}

export async function createPayoutAddressChallenge(opts: { orgId: string; address: unknown }): Promise<PayoutAddressChallenge> {
  const address = parsePayoutAddress(opts.address);
  const config = getPayoutConfig();
  const chain = config.chain ? await requirePayoutChain(config) : null;
  const nonce = randomBytes(16).toString("hex");
  const expiresAt = new Date(Date.now() + config.challengeTtlMs);
  return sqlTransaction(async (tx) => {
    const orgName = await lockOrgForChallenge(tx, { orgId: opts.orgId });
    if (orgName === null) throw new AppError("NOT_FOUND", "organisation not found");
    if ((await countRecentChallenges(tx, { orgId: opts.orgId })) >= config.challengesPerHour) {
      throw new AppError("RATE_LIMITED", `at most ${config.challengesPerHour} signing requests an hour; try again later`, {
        retryAfterSeconds: 600,
      });
    }
    const message = challengeMessage({ orgId: opts.orgId, orgName, address, chainId: chain?.chainId ?? null, nonce, expiresAt });
    const challengeId = await insertChallenge(tx, { orgId: opts.orgId, address, nonce, message, expiresAt });
    return { challengeId, address, message, expiresAt };
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks the signature of a challenge and, if it recovers to the challenge's address, makes
 * that address the organisation's payout address (replacing any other: withdrawals already
 * requested keep the address they were requested to). The challenge is then used up.
 */
export async function verifyPayoutAddress(opts: {
  orgId: string;
  userId: string | null;
  challengeId: unknown;
  signature: unknown;
}): Promise<{ address: Address; verifiedAt: Date }> {
  if (typeof opts.challengeId !== "string" || !UUID.test(opts.challengeId)) throw new AppError("NOT_FOUND", "signing request not found");
  if (typeof opts.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(opts.signature.trim())) {
    throw new AppError(
      "BAD_REQUEST",
      "signature must be 0x followed by 130 hexadecimal characters (65 bytes, as personal_sign returns it)",
    );
  }
  const signature = opts.signature.trim() as Hex;
  const challengeId = opts.challengeId;
  return sqlTransaction(async (tx) => {
    const c = await lockChallenge(tx, { orgId: opts.orgId, challengeId });
    // Another organisation's challenge looks exactly like a missing one.
    if (!c) throw new AppError("NOT_FOUND", "signing request not found");
    if (c.used_at) throw new AppError("CONFLICT", "this signing request was already used: ask for a new message to sign");
    if (c.expired)
      throw new AppError("BAD_REQUEST", `this signing request expired at ${c.expires_at.toISOString()}: ask for a new message to sign`);
    let valid = false;
    try {
      valid = await verifyMessage({ address: c.address, message: c.message, signature });
    } catch {
      valid = false;
    }
    if (!valid) {
      let signer = "";
      try {
        signer = ` (it was made by ${await recoverMessageAddress({ message: c.message, signature })})`;
      } catch {
        // not a recoverable signature at all
      }
      throw new AppError(
        "BAD_REQUEST",
        `the signature is not ${c.address}'s signature of this message${signer}: sign the exact message with that address`,
      );
    }
    await markChallengeUsed(tx, { challengeId });
    const verifiedAt = await savePayoutAddress(tx, {
      orgId: opts.orgId,
      address: c.address,
      message: c.message,
      signature,
      userId: opts.userId,
    });
    logger.info({ orgId: opts.orgId, address: c.address }, "payout address verified");
    return { address: c.address, verifiedAt };
  });
}

export async function getPayoutAddress(opts: { orgId: string }): Promise<{ address: Address; verifiedAt: Date } | null> {
  const r = await loadPayoutAddress(sql(), { orgId: opts.orgId });
  return r ? { address: r.address, verifiedAt: r.verified_at } : null;
}

/** Challenges expired for a day are deleted (the coordinator's maintenance loop). */
export async function purgePayoutChallenges(): Promise<number> {
  return purgeExpiredChallenges(sql());
}
