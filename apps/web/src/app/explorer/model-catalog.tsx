import { Badge } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Muted, SectionTitle } from "~/components/ui/typography";
import type { listModels } from "~/server/services/models/list-models";
import { customExtras, formatCu, formatPrice, formatTensor, onnxSignature, pricePerJob } from "./model-format";

export type CatalogModels = Awaited<ReturnType<typeof listModels>>;
type Listed = CatalogModels[number];
type Uploaded = Extract<Listed, { custom: unknown }>;

const isUploaded = (m: Listed): m is Uploaded => "custom" in m;

/**
 * The market's models, for anyone: the built-in catalog, then the models organisations
 * uploaded and made public (issue 17), each with its owner, its tensors, its cost on the
 * reference run and what a job at that cost is charged (base price, plus the owner's royalty).
 */
export function ModelCatalog({ models }: { models: CatalogModels | null }) {
  if (!models) {
    return (
      <>
        <SectionTitle id="models">Models</SectionTitle>
        <Muted>The model catalog could not be read just now; reload to try again.</Muted>
      </>
    );
  }
  const builtIn = models.filter((m) => !isUploaded(m));
  const uploaded = models.filter(isUploaded);
  return (
    <>
      <SectionTitle id="models">Models</SectionTitle>
      <DataTable
        stacked
        aria-label="Built-in models"
        rows={builtIn}
        rowKey={(m) => m.id}
        columns={[
          { id: "slug", header: "Model", rowHeader: true, cell: (m) => <code className="font-semibold">{m.slug}</code> },
          { id: "name", header: "Name", cell: (m) => `${m.name}${m.synthetic ? " (synthetic)" : ""}` },
          { id: "kind", header: "Kind", cell: (m) => m.kind },
          { id: "cost", header: "Base cost", align: "right", cell: (m) => formatCu(m.baseCostMilliCu) },
          { id: "price", header: "Base price", align: "right", cell: (m) => formatPrice(m.basePrice) },
        ]}
      />
      <SectionTitle id="public-models">Models uploaded by organisations</SectionTitle>
      {uploaded.length === 0 ? (
        <EmptyState title="No public uploaded models yet.">
          An organisation uploads an ONNX model from its dashboard or with <code>POST /api/v1/models</code> and may make it public.
        </EmptyState>
      ) : (
        <ul className="grid gap-3" aria-label="Public uploaded models">
          {uploaded.map((m) => (
            <li key={m.id} data-model-id={m.id}>
              <PublicModel model={m} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function PublicModel({ model: m }: { model: Uploaded }) {
  const { owner, royalty } = customExtras(m.custom);
  const sig = onnxSignature(m.signature);
  return (
    <Card className="grid gap-2 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <strong className="text-base">{m.name}</strong>
        <code className="text-muted" title={m.id}>
          {m.id.slice(0, 12)}
        </code>
        {m.custom.deterministic ? null : <Badge tone="warning">non-deterministic: compared with a widened tolerance</Badge>}
      </div>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        <dt className="text-muted">Owner</dt>
        <dd>{owner ?? "an organisation on Proofgrid"}</dd>
        <dt className="text-muted">Inputs</dt>
        <dd className="font-mono text-[12px]">{sig ? sig.inputs.map(formatTensor).join(", ") || "—" : "—"}</dd>
        <dt className="text-muted">Outputs</dt>
        <dd className="font-mono text-[12px]">{sig ? sig.outputs.map(formatTensor).join(", ") || "—" : "—"}</dd>
        <dt className="text-muted">Cost</dt>
        <dd>{formatCu(m.baseCostMilliCu)} per run on the reference machine</dd>
        <dt className="text-muted">Price</dt>
        <dd>
          {formatPrice(pricePerJob(m.basePrice, royalty))} per job
          {royalty !== null && royalty > 0n ? (
            <span className="text-muted">
              {" "}
              ({formatPrice(m.basePrice)} base + {formatPrice(royalty)} royalty to the owner)
            </span>
          ) : null}
        </dd>
      </dl>
    </Card>
  );
}
