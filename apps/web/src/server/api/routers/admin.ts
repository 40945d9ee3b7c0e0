import { z } from "zod";
import {
  liftQuarantine,
  listLicences,
  listOrganizations,
  listQuarantined,
  platformOverview,
  ZListOrganizations,
} from "../../services/admin/admin.ts";
import { grantCredits } from "../../services/billing/grant-credits.ts";
import { grantCheckerLicence, revokeCheckerLicence } from "../../services/verification/licences.ts";
import { adminProcedure, createTRPCRouter } from "../trpc.ts";
import { pgText } from "../../http/safe-text.ts";

/** Platform administration: every procedure needs a signed-in user with users.is_admin. */
export const adminRouter = createTRPCRouter({
  overview: adminProcedure.query(() => platformOverview()),
  organizations: adminProcedure.input(ZListOrganizations).query(({ input }) => listOrganizations(input)),
  grantCredits: adminProcedure
    .input(
      z.object({
        orgId: z.uuid(),
        /** Base units as a decimal string (bigint-safe over JSON); at most a billion tokens. */
        amount: z.string().regex(/^[1-9]\d{0,15}$/, "a positive whole number of base units"),
        /** The form's one-time key: a double-submitted form grants once. */
        idempotencyKey: z.uuid(),
        memo: pgText().trim().min(3, "say why (at least 3 characters)").max(500),
      }),
    )
    .mutation(({ ctx, input }) =>
      grantCredits({
        orgId: input.orgId,
        amount: BigInt(input.amount),
        idempotencyKey: `admin:${input.idempotencyKey}`,
        memo: `${input.memo} (by ${ctx.session.user.email})`,
      }),
    ),
  quarantined: adminProcedure.query(() => listQuarantined()),
  liftQuarantine: adminProcedure.input(z.object({ nodeId: z.uuid() })).mutation(({ input }) => liftQuarantine(input.nodeId)),
  licences: adminProcedure.query(() => listLicences()),
  grantLicence: adminProcedure
    .input(z.object({ orgSlug: pgText().min(1).max(80), note: pgText().max(500).optional() }))
    .mutation(({ input }) => grantCheckerLicence(input)),
  revokeLicence: adminProcedure
    .input(z.object({ id: z.uuid() }))
    .mutation(({ input }) => revokeCheckerLicence(input.id).then(() => ({ revoked: true }))),
});
