import { Proofgrid } from "@proofgrid/sdk";

export async function submitAndWait(apiKey: string, baseUrl: string) {
  const proofgrid = new Proofgrid({ apiKey, baseUrl, retry: { maxRetries: 5 } });

  // Your own idempotency key makes a retry of the whole call (after a crash, say)
  // return the same job instead of running it twice.
  const submitted = await proofgrid.jobs.submit(
    { model: "encoder-synthetic-minilm", input: { texts: ["first", "second"] } },
    { idempotencyKey: "invoice-4711-embeddings" },
  );
  const done = await proofgrid.jobs.wait(submitted.id, { waitTimeoutMs: 120_000 });

  const models = await proofgrid.models.list();
  const balance = await proofgrid.balance.get(); // token base units: 1 token = 10^6
  console.log(done.state, models.length, balance.available);
  return { submitted, done, models, balance };
}
