import { AuthenticationError, Proofgrid, ProofgridError, RateLimitError } from "@proofgrid/sdk";

export async function handleErrors(baseUrl: string) {
  const proofgrid = new Proofgrid({ apiKey: "pg_notarealkey0_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", baseUrl });
  try {
    await proofgrid.balance.get();
  } catch (err) {
    if (err instanceof AuthenticationError) console.log("check the key:", err.message, err.requestId);
    else if (err instanceof RateLimitError) console.log("slow down; retry after", err.retryAfterMs, "ms");
    else if (err instanceof ProofgridError) console.log(err.status, err.code, err.message);
    return err;
  }
}
