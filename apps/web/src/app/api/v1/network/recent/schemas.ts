import { z } from "zod";
import { RECENT_JOBS_MAX } from "~/server/services/network/list-recent-jobs";

/** `?limit=`: rows of activity (default 20). */
export const ZLimit = z.coerce.number().int().min(1).max(RECENT_JOBS_MAX);
