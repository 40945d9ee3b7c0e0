import { ZEncoderOutput, ZOcrOutput } from "@proofgrid/models/model-schemas";
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatTokens } from "~/server/services/billing/get-balance";
import { Alert } from "~/components/ui/alert";
import { Badge, jobStateTone } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, Muted, PageTitle, Pre, SectionTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../../session";
import { DashboardShell } from "../../dashboard-shell";
import { OcrResult } from "../../playground/ocr-result";
import { compactJson } from "../compact-json";
import { duration, TERMINAL, VERIFICATION, verificationLabel, when } from "../job-format";
import { LiveRefresh } from "../live-refresh";
import { OutputActions } from "./output-actions";
import { PlacementChart } from "./placement-chart";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Job · Proofgrid" };

/** The output shown as JSON is cut here: an embedding batch can be large. */
const JSON_PREVIEW_MAX_CHARS = 20_000;

function jsonPreview(v: unknown): string {
  const s = compactJson(v);
  return s.length > JSON_PREVIEW_MAX_CHARS
    ? `${s.slice(0, JSON_PREVIEW_MAX_CHARS)}\n… (${s.length - JSON_PREVIEW_MAX_CHARS} more characters)`
    : s;
}

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

const notFoundOn = (err: unknown): never => {
  if (err instanceof TRPCError && err.code === "NOT_FOUND") notFound();
  throw err;
};

export default async function JobPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const dashboard = await requireDashboard((await searchParams).org);
  const { caller } = dashboard;
  // Another organisation's job is NOT_FOUND from the procedure: the same 404 as an unknown id.
  const [job, input] = await Promise.all([caller.jobs.get({ id }).catch(notFoundOn), caller.jobs.inputPreview({ id }).catch(notFoundOn)]);
  const ocr = job.model === "ocr-ppocr-v4" ? ZOcrOutput.safeParse(job.output) : null;
  const encoded = ZEncoderOutput.safeParse(job.output);
  const embedding = encoded.success ? encoded.data : null;
  const receipt = job.receipt as { platformSignature?: string } | null;
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/jobs">
      <p className="mt-5 text-sm">
        <a href="/dashboard/jobs">← All jobs</a>
      </p>
      <PageTitle className="mt-2">
        Job <span className="font-mono">{job.id.slice(0, 8)}</span>
      </PageTitle>
      <Lede className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <span>{job.model}</span>
        <span aria-hidden="true">·</span>
        <Badge tone={jobStateTone(job.state)}>{job.state}</Badge>
        <span aria-hidden="true">·</span>
        <span>created {when(job.createdAt)}</span>
      </Lede>
      <LiveRefresh active={!TERMINAL.has(job.state)} />
      {job.error ? <Alert className="my-3">{job.error}</Alert> : null}
      {job.queue ? (
        <Muted>
          Position {job.queue.position} in the queue
          {job.queue.estimatedStartMs !== null ? `, expected to start in about ${Math.ceil(job.queue.estimatedStartMs / 1000)} s` : ""}.
          {job.queue.reason ? ` ${job.queue.reason}` : ""}
        </Muted>
      ) : null}
      <StatList aria-label="Job summary">
        <Stat
          label="Cost"
          value={`${formatTokens(job.price)} tokens`}
          data-stat="cost"
          note={`${(job.costMilliCu / 1000).toFixed(3)} CU`}
        />
        <Stat label="Worker region" value={job.workerRegion ?? "—"} />
        <Stat
          label="Verification"
          value={verificationLabel(job.verification)}
          note={VERIFICATION[job.verification]?.means}
          data-stat="verification"
        />
        <Stat label="Duration" value={duration(job)} />
      </StatList>
      {job.notice ? <Alert>{job.notice}</Alert> : null}

      <SectionTitle>Input</SectionTitle>
      {input.kind === "image" ? (
        ocr?.success ? (
          <Muted>The image is shown below with the recognised boxes.</Muted>
        ) : (
          // biome-ignore lint/performance/noImgElement: a data: URL, nothing for next/image to optimise
          <img src={input.dataUrl} alt="The job's input" className="max-h-[480px] max-w-full rounded-md border border-line" />
        )
      ) : input.kind === "text" ? (
        <Card>
          {input.texts.map((t, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: texts are in input order
            <p key={i} className="mb-1.5 whitespace-pre-wrap [overflow-wrap:anywhere]">
              {t}
            </p>
          ))}
          {input.truncated ? <Muted>Shortened for display.</Muted> : null}
        </Card>
      ) : input.kind === "audio" ? (
        <Muted>WAV audio, {input.bytes.toLocaleString("en")} bytes.</Muted>
      ) : (
        <Muted>{input.reason}</Muted>
      )}

      <SectionTitle>Output</SectionTitle>
      {job.output === undefined || job.output === null ? (
        <Muted>{TERMINAL.has(job.state) ? "This job has no output." : "No output yet: it appears here when the job finishes."}</Muted>
      ) : ocr?.success && input.kind === "image" ? (
        <Card>
          <OcrResult src={input.dataUrl} output={ocr.data} />
        </Card>
      ) : (
        <>
          {embedding ? (
            <Muted data-testid="embedding-summary">
              {embedding.vectors.length} {embedding.vectors.length === 1 ? "vector" : "vectors"} of {embedding.dim} dimensions
              {embedding.vectors[0] ? `; the first has norm (L2) ${norm(embedding.vectors[0]).toFixed(4)}` : ""}.
            </Muted>
          ) : null}
          {/* Scrolls in its own box: a batch of embeddings is thousands of numbers. Focusable so the keyboard can scroll it. */}
          <Pre tabIndex={0} aria-label="Output (JSON)" className="max-h-80 overflow-auto" data-testid="output-json">
            {jsonPreview(job.output)}
          </Pre>
          <OutputActions jobId={job.id} orgId={dashboard.org.orgId} />
        </>
      )}

      <SectionTitle>Placement</SectionTitle>
      <PlacementChart placement={job.placement} />

      <SectionTitle id="receipt-heading">Receipt</SectionTitle>
      {receipt ? (
        <>
          <Muted className="mb-2">
            Signed by the worker
            {receipt.platformSignature ? " and countersigned by the platform" : ""}. Verify it with the worker&apos;s and the
            platform&apos;s public keys.
          </Muted>
          <Pre data-testid="receipt">{jsonPreview(receipt)}</Pre>
        </>
      ) : (
        <Muted>No receipt yet: the worker signs one when it finishes the job.</Muted>
      )}
    </DashboardShell>
  );
}
