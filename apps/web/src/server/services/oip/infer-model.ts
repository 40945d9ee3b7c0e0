import { AppError } from "../../errors.ts";
import { awaitJobOutput } from "../jobs/await-job-output.ts";
import { submitJob, ZMaxRoyalty } from "../jobs/submit-job.ts";
import type { CustomModelRun } from "@proofgrid/por";
import type { ResolvedModel } from "../models/resolve-model.ts";
import { customJobInput, customOutputs } from "./custom-oip.ts";
import { resolveOipModel } from "./resolve-oip-model.ts";
import { type DecodedTensor, decodeTensor, parseInferRequest, type Tensor, type TInferRequest } from "./tensors.ts";

/** How long one call waits for its job; a job still running then is a 503 naming the job, which still runs and bills. */
const WAIT_MS = 60_000;

export interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: { proofgrid_job_id: string; proofgrid_price: string };
  outputs: Tensor[];
}

/**
 * One inference request = one ordinary Proofgrid job: the tensors are checked against the
 * model's metadata and become its job input, which submitJob validates, prices and holds
 * like any job's; the call waits for the job and returns its output as tensors. Nothing is
 * submitted unless every check passes.
 */
export async function inferModel(opts: {
  orgId: string;
  apiKeyId: string | null;
  name: string;
  version?: string;
  body: unknown;
  signal?: AbortSignal;
}): Promise<{ jobId: string; body: InferResponse }> {
  const req = parseInferRequest(opts.body);
  const resolved = await resolveOipModel({ name: opts.name, version: opts.version, orgId: opts.orgId });
  if (resolved.custom) return inferCustomModel({ ...opts, req, model: resolved.model, run: resolved.custom });
  const { model, oip } = resolved;

  const tensors = new Map<string, DecodedTensor>();
  for (const input of req.inputs) {
    const spec = oip.inputs.find((s) => s.name === input.name);
    if (!spec) {
      throw new AppError(
        "BAD_REQUEST",
        `unknown input '${input.name}': model '${model.slug}' takes ${oip.inputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    }
    if (tensors.has(input.name)) throw new AppError("BAD_REQUEST", `input '${input.name}' is given twice`);
    if (input.parameters?.binary_data_size !== undefined) {
      throw new AppError("BAD_REQUEST", `input '${input.name}': the binary tensor extension is not supported; send the data as JSON`);
    }
    tensors.set(input.name, decodeTensor(input, spec, oip.maxElements[spec.name] ?? 0));
  }
  const missing = oip.inputs.filter((s) => !tensors.has(s.name));
  if (missing.length > 0) throw new AppError("BAD_REQUEST", `missing input ${missing.map((s) => `'${s.name}'`).join(", ")}`);

  const wanted = req.outputs?.map((o) => o.name);
  for (const [i, o] of (req.outputs ?? []).entries()) {
    if (!oip.outputs.some((s) => s.name === o.name)) {
      throw new AppError(
        "BAD_REQUEST",
        `unknown output '${o.name}': model '${model.slug}' returns ${oip.outputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    }
    if (wanted?.indexOf(o.name) !== i) throw new AppError("BAD_REQUEST", `output '${o.name}' is requested twice`);
    if (o.parameters?.binary_data === true) {
      throw new AppError("BAD_REQUEST", `output '${o.name}': the binary tensor extension is not supported`);
    }
  }

  const input = oip.toJobInput(tensors);
  const submitted = await submitJob({ orgId: opts.orgId, apiKeyId: opts.apiKeyId, request: { model: model.slug, input } });
  const job = await awaitJobOutput({ orgId: opts.orgId, jobId: submitted.id, waitMs: WAIT_MS, signal: opts.signal });
  const all = oip.toOutputs(job.output);
  const outputs = wanted ? wanted.map((n) => all.find((t) => t.name === n)).filter((t): t is Tensor => t !== undefined) : all;
  return inferAnswer(model, req, job, outputs);
}

/** An uploaded model's inference: its tensors are its job input, checked by submitJob against the signature. */
async function inferCustomModel(opts: {
  orgId: string;
  apiKeyId: string | null;
  req: TInferRequest;
  model: ResolvedModel;
  run: CustomModelRun;
  signal?: AbortSignal;
}): Promise<{ jobId: string; body: InferResponse }> {
  const { req, model } = opts;
  const input = customJobInput(opts.run, model.slug, req);
  // The request's `max_royalty` parameter is a REST submit's `maxRoyalty`: without it, a model
  // that asks a royalty is refused (422), never charged unasked.
  const cap = req.parameters?.max_royalty;
  const parsed = cap === undefined ? undefined : ZMaxRoyalty.safeParse(cap);
  if (parsed && !parsed.success) {
    throw new AppError("BAD_REQUEST", "parameter 'max_royalty' must be a whole number of base units (a string or integer)");
  }
  const submitted = await submitJob({
    orgId: opts.orgId,
    apiKeyId: opts.apiKeyId,
    request: { model: model.id, input, ...(parsed?.data === undefined ? {} : { maxRoyalty: parsed.data }) },
  });
  const job = await awaitJobOutput({ orgId: opts.orgId, jobId: submitted.id, waitMs: WAIT_MS, signal: opts.signal });
  return inferAnswer(
    model,
    req,
    job,
    customOutputs(
      job.output,
      req.outputs?.map((o) => o.name),
    ),
  );
}

/** The protocol's answer for a finished job: the model, the request's id (else the job's), the job and its price. */
function inferAnswer(
  model: ResolvedModel,
  req: TInferRequest,
  job: { id: string; price: string },
  outputs: Tensor[],
): { jobId: string; body: InferResponse } {
  return {
    jobId: job.id,
    body: {
      model_name: model.slug,
      model_version: model.id,
      id: req.id ?? job.id,
      parameters: { proofgrid_job_id: job.id, proofgrid_price: job.price },
      outputs,
    },
  };
}
