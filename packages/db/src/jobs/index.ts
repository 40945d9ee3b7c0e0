export * from "./claim-job.ts";
export * from "./renew-lease.ts";
export * from "./sweep-expired-leases.ts";
export * from "./assign-jobs.ts";
export * from "./extend-leases.ts";
export * from "./job-view-row.ts";
export * from "./insert-jobs-batch.ts";
