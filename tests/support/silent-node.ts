// A registered worker that stays online (signed heartbeats) but never leases: what a
// wedged daemon looks like to the platform. `node --import tsx tests/support/silent-node.ts`
import { loadConfig } from "../../apps/worker/src/config.ts";
import { loadIdentity } from "../../apps/worker/src/identity/node-identity.ts";
import { NodeClient } from "../../apps/worker/src/protocol/node-client.ts";

const config = loadConfig();
const client = new NodeClient(loadIdentity(config.PROOFGRID_NODE_DIR), config.REQUEST_TIMEOUT_MS);
let stopped = false;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    stopped = true;
  });
while (!stopped) {
  await client.post("/api/node/heartbeat", { leases: [] }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1_000));
}
process.exit(0);
