import { Badge, type BadgeTone } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { Lede, Muted, PageTitle, Pre, SectionTitle } from "~/components/ui/typography";
import type { OpenApiDocument } from "~/server/openapi/document";
import { curlFor, exampleOf, type JsonSchema, type OutlineLine, outline } from "./schema-outline";

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const METHOD_TONE: Record<string, BadgeTone> = { get: "info", post: "success", put: "warning", patch: "warning", delete: "danger" };

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}
interface Media {
  schema?: JsonSchema;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
}

/** A schema as an indented outline; named schemas link to their section below. */
function SchemaOutline({ schema }: { schema: JsonSchema }) {
  return (
    <Pre className="bg-canvas p-3 text-[12px]">
      {outline(schema).map((l: OutlineLine, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are static and never reorder
        <div key={i} style={{ paddingLeft: `${l.depth * 1.25}rem` }}>
          {l.name ? <span className="font-semibold text-ink">{l.name}: </span> : null}
          {l.ref ? <a href={`#schema-${l.ref}`}>{l.type}</a> : <span className="text-accent-ink">{l.type}</span>}
          {l.constraints.length > 0 ? <span className="text-muted"> ({l.constraints.join(", ")})</span> : null}
          {l.description ? <span className="text-muted whitespace-normal"> — {l.description}</span> : null}
        </div>
      ))}
    </Pre>
  );
}

function OperationCard({
  method,
  path,
  op,
  schemas,
}: {
  method: string;
  path: string;
  op: Operation;
  schemas: Record<string, JsonSchema>;
}) {
  const bodyMedia = op.requestBody?.content?.["application/json"];
  const bodySchema = bodyMedia?.schema;
  const authenticated = (op.security ?? []).some((s) => Object.keys(s).length > 0);
  const scopes = (op.security ?? []).flatMap((s) => Object.entries(s).flatMap(([scheme, sc]) => (sc.length ? sc : [scheme])));
  const id = op.operationId ?? `${method}-${path}`;
  return (
    <Card id={id} className="mb-4 min-w-0 scroll-mt-4">
      <h3 className="m-0 flex flex-wrap items-center gap-2 text-base font-semibold text-ink">
        <Badge tone={METHOD_TONE[method] ?? "neutral"} className="font-mono uppercase">
          {method}
        </Badge>
        <code className="text-[14px] [overflow-wrap:anywhere]">{path}</code>
        <span className="font-normal text-muted">{op.summary}</span>
      </h3>
      {op.description
        ? op.description
            .split("\n\n")
            // The document's own "Authentication:" line: the card shows it with the scope as a badge.
            .filter((p) => !p.startsWith("**Authentication:**"))
            .map((p) => (
              <p key={p} className="my-2 max-w-3xl text-sm">
                {p.replaceAll("**", "").replaceAll("`", "")}
              </p>
            ))
        : null}
      <Muted>
        Authentication:{" "}
        {authenticated
          ? scopes.map((s) => (
              <Badge key={s} className="mr-1 font-mono">
                {s}
              </Badge>
            ))
          : "none (public)"}
      </Muted>
      {op.parameters?.length ? (
        <>
          <h4 className="mt-4 mb-1 text-sm font-semibold">Parameters</h4>
          <ul className="m-0 list-none p-0 text-sm">
            {op.parameters.map((p) => (
              <li key={`${p.in}-${p.name}`} className="py-0.5">
                <code className="font-semibold">{p.name}</code>{" "}
                <span className="text-muted">
                  ({p.in}
                  {p.required ? ", required" : ""})
                </span>{" "}
                {p.schema ? <code className="text-accent-ink">{outline(p.schema)[0]?.type}</code> : null}
                {p.schema ? <span className="text-muted"> {outline(p.schema)[0]?.constraints.join(", ")}</span> : null}
                {p.description || p.schema?.description ? (
                  <span className="text-muted"> — {p.description ?? p.schema?.description}</span>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {bodySchema ? (
        <>
          <h4 className="mt-4 mb-1 text-sm font-semibold">Request body (application/json)</h4>
          <SchemaOutline schema={bodySchema} />
        </>
      ) : null}
      <h4 className="mt-4 mb-1 text-sm font-semibold">Responses</h4>
      <ul className="m-0 list-none p-0 text-sm">
        {Object.entries(op.responses ?? {}).map(([status, r]) => {
          const [type, media] = Object.entries(r.content ?? {})[0] ?? [];
          const ref = media?.schema ? outline(media.schema)[0] : undefined;
          return (
            <li key={status} className="py-0.5">
              <Badge tone={status.startsWith("2") ? "success" : status.startsWith("4") ? "warning" : "danger"} className="mr-2 font-mono">
                {status}
              </Badge>
              {r.description?.replaceAll("`", "")}{" "}
              {ref ? (
                <span className="text-muted">
                  {type}: {ref.ref ? <a href={`#schema-${ref.ref}`}>{ref.type}</a> : <code>{ref.type}</code>}
                </span>
              ) : null}
            </li>
          );
        })}
      </ul>
      <h4 className="mt-4 mb-1 text-sm font-semibold">Example</h4>
      <Pre className="bg-canvas p-3 text-[12px]">
        {curlFor({ method, path, authenticated, body: bodySchema ? (bodyMedia?.example ?? exampleOf(bodySchema, schemas)) : undefined })}
      </Pre>
    </Card>
  );
}

/** The reference itself: operations grouped by tag, then every named schema. */
export function ApiReference({ doc }: { doc: OpenApiDocument }) {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, JsonSchema>;
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = (item as Record<string, Operation | undefined>)[method];
      return op ? [{ method, path, op }] : [];
    }),
  );
  const tags = (doc.tags ?? []).filter((t) => ops.some((o) => o.op.tags?.includes(t.name)));
  return (
    <>
      <PageTitle>API reference</PageTitle>
      <Lede>
        {doc.info.title} {doc.info.version}. Send an organisation's API key as <code>Authorization: Bearer pg_…</code> (create one in the
        dashboard under API keys). Money is in token base units (1 token = 10<sup>6</sup>) as decimal strings. Every error is{" "}
        <a href="#schema-Error">Error</a>. The machine-readable document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI
        3.1).
      </Lede>
      <nav aria-label="Operations" className="mb-6 grid gap-x-8 gap-y-3 sm:grid-cols-2 lg:grid-cols-3">
        {tags.map((t) => (
          <div key={t.name}>
            <a href={`#tag-${t.name}`} className="font-semibold">
              {t.name}
            </a>
            <ul className="m-0 list-none p-0 text-[13px]">
              {ops
                .filter((o) => o.op.tags?.includes(t.name))
                .map((o) => (
                  <li key={`${o.method} ${o.path}`}>
                    <a href={`#${o.op.operationId}`} className="text-muted">
                      <span className="font-mono uppercase">{o.method}</span> {o.path.replace(/^\/api\/v1/, "")}
                    </a>
                  </li>
                ))}
            </ul>
          </div>
        ))}
      </nav>
      {tags.map((t) => (
        <section key={t.name} aria-labelledby={`tag-${t.name}`}>
          <SectionTitle id={`tag-${t.name}`}>{t.name}</SectionTitle>
          {t.description ? <Muted className="mb-3">{t.description}</Muted> : null}
          {ops
            .filter((o) => o.op.tags?.includes(t.name))
            .map((o) => (
              <OperationCard key={`${o.method} ${o.path}`} method={o.method} path={o.path} op={o.op} schemas={schemas} />
            ))}
        </section>
      ))}
      <section aria-labelledby="schemas">
        <SectionTitle id="schemas">Schemas</SectionTitle>
        {Object.entries(schemas).map(([name, schema]) => (
          <div key={name} id={`schema-${name}`} className="mb-4 scroll-mt-4">
            <h3 className="mt-0 mb-1 font-mono text-sm font-semibold">{name}</h3>
            <SchemaOutline schema={schema} />
          </div>
        ))}
      </section>
    </>
  );
}
