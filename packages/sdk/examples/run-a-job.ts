import { Proofgrid } from "@proofgrid/sdk";

export async function runAJob(apiKey: string, baseUrl: string) {
  const proofgrid = new Proofgrid({ apiKey, baseUrl });

  // Submit and wait: the job comes back finished, its output in `output`.
  const job = await proofgrid.jobs.run({
    model: "encoder-synthetic-minilm",
    input: { text: "Verified inference on independent GPUs" },
  });
  const { vectors } = job.output as { dim: number; vectors: number[][] };
  console.log(job.id, job.state, vectors[0]?.length); // … succeeded 384
  return job;
}
