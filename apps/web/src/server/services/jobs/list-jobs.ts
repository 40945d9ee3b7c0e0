import { z } from "zod";
import { db } from "../../db.ts";
import { type JobView, jobViewSelect, toJobView } from "./job-view.ts";
import { pgText } from "../../http/safe-text.ts";

export const ZListJobsRequest = z.object({
  state: z.enum(["queued", "assigned", "running", "succeeded", "failed", "canceled", "expired"]).optional(),
  model: pgText().max(100).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** Job id to continue after (keyset pagination, newest first). */
  cursor: z.uuid().optional(),
});
export type TListJobsRequest = z.input<typeof ZListJobsRequest>;

export async function listJobs(opts: {
  orgId: string;
  request: TListJobsRequest;
}): Promise<{ jobs: JobView[]; nextCursor: string | null }> {
  const req = ZListJobsRequest.parse(opts.request);
  const rows = await db().job.findMany({
    where: {
      orgId: opts.orgId,
      ...(req.state ? { state: req.state } : {}),
      ...(req.model ? { model: { slug: req.model } } : {}),
    },
    select: jobViewSelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: req.limit + 1,
    ...(req.cursor ? { cursor: { id: req.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, req.limit);
  return { jobs: page.map((r) => toJobView(r)), nextCursor: rows.length > req.limit ? (page.at(-1)?.id ?? null) : null };
}
