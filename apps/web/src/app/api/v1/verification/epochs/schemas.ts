import { z } from "zod";

/** `?limit=`: epochs, newest first (default 96). */
export const ZLimit = z.coerce.number().int().min(1).max(500);
