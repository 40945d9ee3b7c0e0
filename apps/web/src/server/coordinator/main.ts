import { logger } from "../logger.ts";
import { runCoordinator } from "./run-coordinator.ts";

// `tsx apps/web/src/server/coordinator/main.ts`: its own process, safe to run several.
const controller = new AbortController();
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1); // a second signal forces exit
    stopping = true;
    logger.info({ sig }, "coordinator: stopping");
    controller.abort();
  });
}
await runCoordinator({ signal: controller.signal });
logger.info("coordinator: stopped");
process.exit(0);
