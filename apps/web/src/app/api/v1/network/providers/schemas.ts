import { z } from "zod";
import { PROVIDER_RECORDS_MAX } from "~/server/services/verification/provider-records";

export const ZQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PROVIDER_RECORDS_MAX).default(50),
  provider: z.uuid().optional(),
});
