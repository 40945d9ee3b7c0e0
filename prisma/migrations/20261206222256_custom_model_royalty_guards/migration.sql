-- Hand-written: guards on royalties that schema.prisma cannot express. A royalty is never
-- negative, a job's royalty always has a payee, and it is part of the job's price (the hold).
ALTER TABLE "custom_models" ADD CONSTRAINT "custom_models_royalty" CHECK ("royalty" >= 0);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_royalty" CHECK ("royalty" >= 0 AND ("royalty" = 0 OR "royalty_org_id" IS NOT NULL) AND "royalty" <= "price");
