import { z } from "zod";
import { MAX_WAIT_MS } from "~/server/http/prefer-wait";

/** `?wait=<ms>`: hold the request until the job finishes, at most a minute. */
export const ZWait = z.coerce.number().int().min(0).max(MAX_WAIT_MS);
