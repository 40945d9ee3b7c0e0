import type { Db } from "../db-types.ts";

/** Records the models resident in the worker's memory, from its heartbeat (a warm cache). */
export async function updateLoadedModels(db: Db, opts: { nodeId: string; models: string[] }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET loaded_models = ${opts.models}::text[] WHERE id = ${opts.nodeId}::uuid`;
}

/** Records whether the worker runs customers' uploaded models (its ACCEPT_CUSTOM_MODELS, from its heartbeat). */
export async function updateAcceptsCustomModels(db: Db, opts: { nodeId: string; accepts: boolean }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET accepts_custom_models = ${opts.accepts} WHERE id = ${opts.nodeId}::uuid`;
}

export interface UpdateMachineLoadOptions {
  nodeId: string;
  /** Share of the machine's CPU other processes used (0..1). */
  busy: number;
  /** Whether that counts as idle: idle_since starts (or stays) when it does, and clears when it does not. */
  idle: boolean;
}

/** Writes nodes.machine_busy and idle_since (since when the machine has stayed idle). */
export async function updateMachineLoad(db: Db, opts: UpdateMachineLoadOptions): Promise<void> {
  const { nodeId, busy, idle } = opts;
  await db.$executeRaw`
    UPDATE nodes SET machine_busy = ${busy}, idle_since = CASE WHEN ${idle} THEN coalesce(idle_since, now()) ELSE NULL END
    WHERE id = ${nodeId}::uuid`;
}
