-- CreateIndex
CREATE INDEX "job_attempts_leased_at_idx" ON "job_attempts"("leased_at");

-- CreateIndex
CREATE INDEX "job_attempts_node_id_leased_at_idx" ON "job_attempts"("node_id", "leased_at");

