-- CreateIndex
CREATE INDEX "jobs_org_id_finished_at_idx" ON "jobs"("org_id", "finished_at");

