// Preloaded by `npm run bench:overhead -- --cpu-prof` into each process of the stack
// (NODE_OPTIONS="--require …": Node refuses --cpu-prof there). Each process notes its pid in
// CPU_PROF_DIR/pids; the first SIGUSR2 starts the inspector's profiler on the main thread and
// the second writes the .cpuprofile, so only the measured jobs are profiled, not start-up.
// The main thread's inspector session answers synchronously.
const { Session } = require("node:inspector");
const { appendFileSync, mkdirSync, writeFileSync } = require("node:fs");
const { basename, join } = require("node:path");
const { isMainThread } = require("node:worker_threads");

const dir = process.env.CPU_PROF_DIR;
// Worker threads (the inference pool's) load this too: only the main thread registers.
if (dir && isMainThread) {
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, "pids"), `${process.pid}\n`);
  const session = new Session();
  session.connect();
  let state = "idle";
  process.on("SIGUSR2", () => {
    if (state === "idle") {
      session.post("Profiler.enable");
      session.post("Profiler.setSamplingInterval", { interval: 250 });
      session.post("Profiler.start");
      state = "running";
    } else if (state === "running") {
      state = "done";
      session.post("Profiler.stop", (err, res) => {
        if (err || !res) return;
        const main = basename(process.argv[1] || "node").replace(/\W+/g, "-");
        writeFileSync(join(dir, `${main}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
      });
    }
  });
}
