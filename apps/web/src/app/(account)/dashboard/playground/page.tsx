import type { Metadata } from "next";
import styles from "../../account.module.css";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { EmbeddingPlayground } from "./embedding-playground";
import { OcrPlayground } from "./ocr-playground";
import { VadPlayground } from "./vad-playground";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Playground · Proofgrid" };

export default async function PlaygroundPage() {
  // Jobs run in the active organisation (the session's), which the procedures bill.
  const dashboard = await requireDashboard();
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/playground">
      <h1 className={styles.title}>Playground</h1>
      <p className={styles.lede}>
        Try a model on your own input as {dashboard.org.name}. Each run is a real job on the network: it appears under{" "}
        <a href="/dashboard/jobs">Jobs</a> with its cost and receipt.
      </p>
      <h2 className={styles.h2}>Text recognition (ocr-ppocr-v4)</h2>
      <OcrPlayground />
      <h2 className={styles.h2}>Speech detection (vad-silero-v5)</h2>
      <VadPlayground />
      <h2 className={styles.h2}>Text embedding (encoder-synthetic-minilm)</h2>
      <EmbeddingPlayground />
    </DashboardShell>
  );
}
