import { z } from "zod";

/** `?wait=<ms>`: hold the request until the job finishes, at most a minute. */
export const ZWait = z.coerce.number().int().min(0).max(60_000);
