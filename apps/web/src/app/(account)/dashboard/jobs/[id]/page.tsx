import { ZOcrOutput } from "@proofgrid/models/model-schemas";
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatTokens } from "~/server/services/billing/get-balance";
import styles from "../../../account.module.css";
import { requireDashboard } from "../../../session";
import { DashboardShell } from "../../dashboard-shell";
import { OcrResult } from "../../playground/ocr-result";
import { duration, TERMINAL, VERIFICATION_LABEL, when } from "../job-format";
import { LiveRefresh } from "../live-refresh";
import { PlacementChart } from "./placement-chart";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Job · Proofgrid" };

/** The output shown as JSON is cut here: an embedding batch can be large. */
const JSON_PREVIEW_MAX_CHARS = 20_000;

function jsonPreview(v: unknown): string {
  const s = JSON.stringify(v, null, 2) ?? "null";
  return s.length > JSON_PREVIEW_MAX_CHARS
    ? `${s.slice(0, JSON_PREVIEW_MAX_CHARS)}\n… (${s.length - JSON_PREVIEW_MAX_CHARS} more characters)`
    : s;
}

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
  const receipt = job.receipt as { platformSignature?: string } | null;
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/jobs">
      <p style={{ margin: "16px 0 0" }}>
        <a href="/dashboard/jobs">← All jobs</a>
      </p>
      <h1 className={styles.title}>
        Job <span className={styles.mono}>{job.id.slice(0, 8)}</span>
      </h1>
      <p className={styles.lede}>
        {job.model} · <span className={styles.badge}>{job.state}</span> · created {when(job.createdAt)}
      </p>
      <LiveRefresh active={!TERMINAL.has(job.state)} />
      {job.error ? (
        <p role="alert" className={styles.alert}>
          {job.error}
        </p>
      ) : null}
      {job.queue ? (
        <p className={styles.muted}>
          Position {job.queue.position} in the queue
          {job.queue.estimatedStartMs !== null ? `, expected to start in about ${Math.ceil(job.queue.estimatedStartMs / 1000)} s` : ""}.
          {job.queue.reason ? ` ${job.queue.reason}` : ""}
        </p>
      ) : null}
      <ul className={styles.stats} aria-label="Job summary">
        <li className={styles.stat}>
          <div className={styles.statLabel}>Cost</div>
          <div className={styles.statValue} data-stat="cost">
            {formatTokens(job.price)} tokens
          </div>
          <div className={styles.muted}>
            {job.price} base units · {(job.costMilliCu / 1000).toFixed(3)} CU
          </div>
        </li>
        <li className={styles.stat}>
          <div className={styles.statLabel}>Worker region</div>
          <div className={styles.statValue}>{job.workerRegion ?? "—"}</div>
        </li>
        <li className={styles.stat}>
          <div className={styles.statLabel}>Verification</div>
          <div className={styles.statValue} data-stat="verification">
            {VERIFICATION_LABEL[job.verification] ?? job.verification}
          </div>
        </li>
        <li className={styles.stat}>
          <div className={styles.statLabel}>Duration</div>
          <div className={styles.statValue}>{duration(job)}</div>
        </li>
      </ul>
      {job.notice ? (
        <p role="alert" className={styles.alert}>
          {job.notice}
        </p>
      ) : null}

      <h2 className={styles.h2}>Input</h2>
      {input.kind === "image" ? (
        ocr?.success ? (
          <p className={styles.muted}>The image is shown below with the recognised boxes.</p>
        ) : (
          // biome-ignore lint/performance/noImgElement: a data: URL, nothing for next/image to optimise
          <img src={input.dataUrl} alt="The job's input" style={{ maxWidth: "100%", maxHeight: 480, border: "1px solid #e2e8f0" }} />
        )
      ) : input.kind === "text" ? (
        <div className={styles.card}>
          {input.texts.map((t, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: texts are in input order
            <p key={i} style={{ margin: "0 0 6px", whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
              {t}
            </p>
          ))}
          {input.truncated ? <p className={styles.muted}>Shortened for display.</p> : null}
        </div>
      ) : input.kind === "audio" ? (
        <p className={styles.muted}>WAV audio, {input.bytes.toLocaleString("en")} bytes.</p>
      ) : (
        <p className={styles.muted}>{input.reason}</p>
      )}

      <h2 className={styles.h2}>Output</h2>
      {job.output === undefined || job.output === null ? (
        <p className={styles.muted}>
          {TERMINAL.has(job.state) ? "This job has no output." : "No output yet: it appears here when the job finishes."}
        </p>
      ) : ocr?.success && input.kind === "image" ? (
        <OcrResult src={input.dataUrl} output={ocr.data} />
      ) : (
        <pre className={`${styles.mono} ${styles.card}`} style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
          {jsonPreview(job.output)}
        </pre>
      )}

      <h2 className={styles.h2}>Placement</h2>
      <PlacementChart placement={job.placement} />

      <h2 className={styles.h2} id="receipt-heading">
        Receipt
      </h2>
      {receipt ? (
        <>
          <p className={styles.muted}>
            Signed by the worker
            {receipt.platformSignature ? " and countersigned by the platform" : ""}. Verify it with the worker&apos;s and the
            platform&apos;s public keys.
          </p>
          <pre
            className={`${styles.mono} ${styles.card}`}
            style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere", margin: 0 }}
            data-testid="receipt"
          >
            {jsonPreview(receipt)}
          </pre>
        </>
      ) : (
        <p className={styles.muted}>No receipt yet: the worker signs one when it finishes the job.</p>
      )}
    </DashboardShell>
  );
}
