import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Lede, PageTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { EmbeddingPlayground } from "./embedding-playground";
import { OcrPlayground } from "./ocr-playground";
import { VadPlayground } from "./vad-playground";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Playground · Proofgrid" };

/**
 * One model per section, all three on one page (not tabs): each keeps its result while
 * another runs, and a phone scrolls through them.
 */
function ModelSection({ title, slug, children }: { title: string; slug: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${slug}-heading`} className="grid gap-3 rounded-lg border border-line bg-white p-4 shadow-card sm:p-5">
      <h2 id={`${slug}-heading`} className="text-lg font-semibold">
        {title} <span className="font-mono text-sm font-normal text-muted">({slug})</span>
      </h2>
      {children}
    </section>
  );
}

export default async function PlaygroundPage() {
  // Jobs run in the active organisation (the session's), which the procedures bill.
  const dashboard = await requireDashboard();
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/playground">
      <PageTitle>Playground</PageTitle>
      <Lede>
        Try a model on your own input as {dashboard.org.name}. Each run is a real job on the network: it appears under{" "}
        <a href="/dashboard/jobs">Jobs</a> with its cost and receipt.
      </Lede>
      <div className="grid gap-6">
        <ModelSection title="Text recognition" slug="ocr-ppocr-v4">
          <OcrPlayground />
        </ModelSection>
        <ModelSection title="Speech detection" slug="vad-silero-v5">
          <VadPlayground />
        </ModelSection>
        <ModelSection title="Text embedding" slug="encoder-synthetic-minilm">
          <EmbeddingPlayground />
        </ModelSection>
      </div>
    </DashboardShell>
  );
}
