import { randomUUID } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import type { InputShape } from "@proofgrid/models/traffic/measure-input";
import { hashJson } from "@proofgrid/por";
import { beforeAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { drawReplayInput, sampleTraffic } from "./challenge-corpus.ts";

// Challenges replay donated customer inputs (issue 12): a replay is the donor's input byte
// for byte, in the form and near the size of the customer job it stands in for, used once,
// and never sent to a provider whose node ran or checked the donor's job.

const MODEL = "ab".repeat(32);
const orgs: Record<string, string> = {};
const nodes: Record<string, string> = {};

const LONG =
  "The committee met on Tuesday to consider the proposal. It was adopted without a vote, and the minutes were read aloud by the clerk. Nobody objected to the schedule that followed, which ran well into the evening hours of the second day.";
const inputs = {
  short: { text: "It rained all week." },
  long: { text: LONG },
  batch: { texts: ["A first sentence of the batch.", "And a second one, a little longer than the first."] },
  checked: { text: `${LONG} Then it rained.` },
  other: { text: "Not donated: this customer never opted in." },
};

async function finishedJob(orgId: string, nodeId: string, input: unknown): Promise<string> {
  const id = randomUUID();
  await sql().$executeRaw`
    INSERT INTO jobs (id, org_id, model_id, state, cost_milli_cu, price, input_hash, input_bytes, node_id, attempt, finished_at)
    VALUES (${id}::uuid, ${orgId}::uuid, ${MODEL}, 'succeeded', 1, 1, ${hashJson(input)}, 10, ${nodeId}::uuid, 1, now())`;
  await sql()
    .$executeRaw`INSERT INTO job_payloads (job_id, input, output) VALUES (${id}::uuid, ${JSON.stringify(input)}::jsonb, '{}'::jsonb)`;
  await sql()
    .$executeRaw`INSERT INTO job_attempts (job_id, attempt, node_id, outcome) VALUES (${id}::uuid, 1, ${nodeId}::uuid, 'succeeded')`;
  return id;
}

const textShape = (lengths: number[]): InputShape => ({ kind: "embedding", form: lengths.length > 1 ? "texts" : "text", lengths });

const db = setupServiceDatabase({ name: "replay" });

beforeAll(async () => {
  await db.t.prisma.model.create({
    data: {
      id: MODEL,
      slug: "encoder-synthetic-minilm",
      name: "encoder",
      kind: "embedding",
      description: "",
      signature: {},
      baseCostMilliCu: 1,
    },
  });
  for (const [slug, kind] of [
    ["donor", "customer"],
    ["customer", "customer"],
    ["runner", "provider"],
    ["checker", "provider"],
    ["subject", "provider"],
  ] as const) {
    orgs[slug] = (
      await db.t.prisma.organization.create({
        data: { slug, name: slug, kind, donatesChallengeInputs: slug === "donor" },
        select: { id: true },
      })
    ).id;
  }
  for (const [name, org, role] of [
    ["runner", "runner", "worker"],
    ["checker", "checker", "checker"],
    ["subject", "subject", "worker"],
  ] as const) {
    nodes[name] = (
      await db.t.prisma.node.create({
        data: {
          orgId: orgs[org] as string,
          name,
          role,
          publicKey: randomUUID(),
          region: "local",
          models: [MODEL],
          claimedCuPerHour: 3600,
          cuPerHour: 3600,
        },
        select: { id: true },
      })
    ).id;
  }
  const runner = nodes.runner as string;
  for (const key of ["short", "long", "batch"] as const) await finishedJob(orgs.donor as string, runner, inputs[key]);
  const checked = await finishedJob(orgs.donor as string, runner, inputs.checked);
  await sql().$executeRaw`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, checker_node_id, job_id, model_id, epoch)
    VALUES (${randomUUID()}::uuid, 'reexecution', 'done', ${runner}::uuid, ${orgs.runner}::uuid, ${nodes.checker}::uuid, ${checked}::uuid, ${MODEL}, 0)`;
  await finishedJob(orgs.customer as string, runner, inputs.other);
  expect(await sampleTraffic()).toBe(5);
});

describe("replayed challenge inputs", () => {
  it("keeps each donated input whole, and nothing of an organisation that did not opt in", async () => {
    const rows = await sql().$queryRaw<{ input: unknown }[]>`SELECT input FROM challenge_corpus WHERE kind = 'input' ORDER BY id`;
    expect(rows.map((r) => r.input)).toEqual([inputs.short, inputs.long, inputs.batch, inputs.checked]);
  });

  it("never replays to the provider that ran the donor's job, nor to one that checked it", async () => {
    expect(await drawReplayInput({ modelId: MODEL, subjectOrgId: orgs.runner as string, shape: textShape([200]) })).toBeNull();
    const toChecker = await drawReplayInput({ modelId: MODEL, subjectOrgId: orgs.checker as string, shape: textShape([260]) });
    // The checked text is the nearest in length, but that provider's checker saw it.
    expect(toChecker).toEqual(inputs.long);
  });

  it("replays the nearest input of the customer job's form, byte for byte, once", async () => {
    const subject = orgs.subject as string;
    const first = await drawReplayInput({ modelId: MODEL, subjectOrgId: subject, shape: textShape([250]) });
    expect(first).toEqual(inputs.checked);
    expect(JSON.stringify(first)).toBe(JSON.stringify(inputs.checked));
    // The long text went to the checker's provider: the short one is what is left of form `text`.
    expect(await drawReplayInput({ modelId: MODEL, subjectOrgId: subject, shape: textShape([250]) })).toEqual(inputs.short);
    // No text left: a `texts` input never stands in for a `text` one.
    expect(await drawReplayInput({ modelId: MODEL, subjectOrgId: subject, shape: textShape([250]) })).toBeNull();
    expect(await drawReplayInput({ modelId: MODEL, subjectOrgId: subject, shape: textShape([30, 50]) })).toEqual(inputs.batch);
    const uses = await sql().$queryRaw<{ uses: number }[]>`SELECT uses FROM challenge_corpus WHERE kind = 'input'`;
    expect(uses.every((u) => u.uses === 1)).toBe(true);
  });

  it("gives two concurrent draws two different inputs", async () => {
    for (const key of ["short", "long"] as const)
      await finishedJob(orgs.donor as string, nodes.runner as string, { text: `${inputs[key].text} again` });
    expect(await sampleTraffic()).toBe(2);
    const subject = orgs.subject as string;
    const drawn = await Promise.all(
      Array.from({ length: 6 }, () => drawReplayInput({ modelId: MODEL, subjectOrgId: subject, shape: textShape([100]) })),
    );
    const got = drawn.filter((d) => d !== null).map((d) => JSON.stringify(d));
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThanOrEqual(2);
  });
});
