/** The node protocol's lease reply: one job and the attempt (fencing token) it is leased at. */
export interface LeasedJob {
  jobId: string;
  attempt: number;
  modelId: string;
  modelSlug: string;
  input: unknown;
  leaseExpiresAt: string;
  leaseMs: number;
}
