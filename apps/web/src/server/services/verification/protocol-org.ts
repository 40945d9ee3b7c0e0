import { orgAccountCode } from "@proofgrid/db/ledger";

/** The protocol's own organisation (migration 20261127033700_protocol_org): it owns the
 * challenge jobs, so they are held and settled exactly like a customer's. */
export const PROTOCOL_ORG_ID = "00000000-0000-4000-8000-00000000c0de";

export const protocolAvailable = orgAccountCode(PROTOCOL_ORG_ID, "available");
export const protocolHeld = orgAccountCode(PROTOCOL_ORG_ID, "held");
