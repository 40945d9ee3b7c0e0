import type { Postprocessing, Preprocessing } from "@proofgrid/models/custom/processing";
import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { customExtras, formatBytes, formatCu, formatPrice, formatTensor, onnxSignature, pricePerJob } from "~/app/explorer/model-format";
import { sessionCallerFor } from "~/server/api/trpc";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { DashboardTRPCProvider } from "../trpc-provider";
import { DeleteModelButton } from "./delete-model-button";
import { ModelListingForm } from "./model-listing-form";
import { UploadModelForm } from "./upload-model-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Models · Proofgrid" };

const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/** Base price, plus the owner's royalty when the listing carries one. */
function Price({ basePrice, custom }: { basePrice: string; custom: object }) {
  const { royalty } = customExtras(custom);
  if (royalty === null || royalty === 0n) return <>{formatPrice(basePrice)}</>;
  return (
    <>
      {formatPrice(pricePerJob(basePrice, royalty))}
      <span className="block text-[12px] text-muted">
        {formatPrice(basePrice)} + {formatPrice(royalty)} royalty
      </span>
    </>
  );
}

/** The owner's processing as the model's view carries it (customModelView). */
type ProcessingChoice = {
  preprocessing: Preprocessing;
  postprocessing: Postprocessing;
  mean?: number[];
  std?: number[];
  /** How many classes `labels` names (a list of models carries the count, not the names). */
  labelCount?: number;
};

const INPUT_PROCESSING: Record<Preprocessing, string> = { raw: "Tensors", image: "Image", text: "Text" };

/**
 * What the platform does around the model, in one line: "Image → labels (3 classes)"; under
 * it an image's own mean and std when the owner gave them (else the defaults apply). Shown
 * under the signature it wraps, not in a column of its own: with one more column the table
 * no longer fits 1280 px and its actions scroll out of sight.
 */
function Processing({ custom }: { custom: ProcessingChoice }) {
  const output =
    custom.postprocessing === "labels"
      ? `labels (${custom.labelCount ?? 0} ${custom.labelCount === 1 ? "class" : "classes"})`
      : custom.postprocessing === "softmax"
        ? "probabilities"
        : "tensors";
  const normalisation = [custom.mean ? `mean ${custom.mean.join(", ")}` : null, custom.std ? `std ${custom.std.join(", ")}` : null]
    .filter((v) => v !== null)
    .join("; ");
  return (
    <span className="mt-1 block" data-processing>
      {INPUT_PROCESSING[custom.preprocessing]} → {output}
      {normalisation ? <span className="block text-[12px] text-muted">{normalisation}</span> : null}
    </span>
  );
}

function Signature({ signature, custom }: { signature: unknown; custom: ProcessingChoice }) {
  const sig = onnxSignature(signature);
  // One element: a stacked table's phone card lays each child of a cell out as a grid item.
  return (
    <div>
      {sig ? (
        <span className="font-mono text-[12px]">
          in {sig.inputs.map(formatTensor).join(", ")}
          <br />
          out {sig.outputs.map(formatTensor).join(", ")}
        </span>
      ) : (
        "—"
      )}
      <Processing custom={custom} />
    </div>
  );
}

export default async function ModelsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { session, org, caller } = dashboard;
  // The procedures check this again; the page only leaves out what would be refused.
  const who = sessionCallerFor(session.user.id, org);
  const canWrite = who.kind === "session" && who.scopes.has("models:write");
  const { models, maxUploadBytes } = await caller.customModels.list();
  const mine = models.filter((m) => m.custom.ownedByYou);
  const others = models.filter((m) => !m.custom.ownedByYou);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/models">
      <DashboardTRPCProvider key={org.orgId} orgId={org.orgId}>
        <PageTitle>Models</PageTitle>
        <Lede>
          Upload an ONNX model and run it on the network with the same placement, verification and receipts as the catalog&apos;s. Each
          upload is checked and run once in a sandbox before it is accepted; its id is the sha256 of its bytes.
        </Lede>
        {canWrite ? (
          <>
            <SectionTitle>Upload a model</SectionTitle>
            <Card>
              <UploadModelForm orgId={org.orgId} maxBytes={maxUploadBytes} />
            </Card>
          </>
        ) : (
          <Alert tone="warning">Your role in {org.name} may see its models but not upload or delete them.</Alert>
        )}
        <SectionTitle id="your-models">Your organisation&apos;s models</SectionTitle>
        <DataTable
          stacked
          aria-label="Your organisation's models"
          rows={mine}
          rowKey={(m) => m.id}
          rowProps={(m) => ({ "data-model-id": m.id })}
          empty={
            <EmptyState title="No models uploaded yet.">Upload an .onnx file above, or with the API (POST /api/v1/models).</EmptyState>
          }
          columns={[
            { id: "name", header: "Name", rowHeader: true, cell: (m) => m.name },
            {
              id: "id",
              header: "Id",
              className: "font-mono text-[12px]",
              cell: (m) => <span title={m.id}>{m.id.slice(0, 12)}</span>,
            },
            { id: "size", header: "Size", align: "right", className: "sm:whitespace-nowrap", cell: (m) => formatBytes(m.custom.fileBytes) },
            {
              id: "visibility",
              header: "Visibility",
              cell: (m) => <Badge tone={m.custom.visibility === "public" ? "info" : "neutral"}>{m.custom.visibility}</Badge>,
            },
            {
              id: "deterministic",
              header: "Deterministic",
              cell: (m) => (m.custom.deterministic ? "yes" : <Badge tone="warning">no: widened tolerance</Badge>),
            },
            { id: "signature", header: "Signature and processing", cell: (m) => <Signature signature={m.signature} custom={m.custom} /> },
            { id: "cost", header: "Cost", align: "right", className: "sm:whitespace-nowrap", cell: (m) => formatCu(m.baseCostMilliCu) },
            {
              id: "price",
              header: "Price per job",
              align: "right",
              className: "sm:whitespace-nowrap",
              cell: (m) => <Price basePrice={m.basePrice} custom={m.custom} />,
            },
            { id: "created", header: "Uploaded", className: "sm:whitespace-nowrap", cell: (m) => when(m.custom.createdAt) },
            ...(canWrite
              ? [
                  {
                    id: "actions",
                    header: "Actions",
                    hideHeader: true,
                    cell: (m: (typeof mine)[number]) => (
                      <div className="grid gap-2">
                        <ModelListingForm
                          id={m.id}
                          name={m.name}
                          visibility={m.custom.visibility}
                          royalty={customExtras(m.custom).royalty?.toString() ?? "0"}
                        />
                        <DeleteModelButton id={m.id} name={m.name} />
                      </div>
                    ),
                  },
                ]
              : []),
          ]}
        />
        <Muted className="mt-2">
          Run one by its id: <code>{'{"model":"<id>","input":…}'}</code> to <code>POST /api/v1/jobs</code>.
        </Muted>
        <SectionTitle id="public-models">Public models of other organisations</SectionTitle>
        <DataTable
          stacked
          aria-label="Public models of other organisations"
          rows={others}
          rowKey={(m) => m.id}
          rowProps={(m) => ({ "data-model-id": m.id })}
          empty={<EmptyState title="No other organisation has made a model public yet." />}
          columns={[
            { id: "name", header: "Name", rowHeader: true, cell: (m) => m.name },
            { id: "owner", header: "Owner", cell: (m) => customExtras(m.custom).owner ?? "—" },
            {
              id: "id",
              header: "Id",
              className: "font-mono text-[12px]",
              cell: (m) => <span title={m.id}>{m.id.slice(0, 12)}</span>,
            },
            { id: "size", header: "Size", align: "right", className: "sm:whitespace-nowrap", cell: (m) => formatBytes(m.custom.fileBytes) },
            { id: "deterministic", header: "Deterministic", cell: (m) => (m.custom.deterministic ? "yes" : "no") },
            { id: "signature", header: "Signature and processing", cell: (m) => <Signature signature={m.signature} custom={m.custom} /> },
            { id: "cost", header: "Cost", align: "right", className: "sm:whitespace-nowrap", cell: (m) => formatCu(m.baseCostMilliCu) },
            {
              id: "price",
              header: "Price per job",
              align: "right",
              className: "sm:whitespace-nowrap",
              cell: (m) => <Price basePrice={m.basePrice} custom={m.custom} />,
            },
          ]}
        />
      </DashboardTRPCProvider>
    </DashboardShell>
  );
}
