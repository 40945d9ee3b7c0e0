import { ensureWebBuild } from "../../scripts/lib/processes.ts";

// One production build of the web app for the e2e run (skipped when sources are unchanged).
export default function setup(): void {
  ensureWebBuild((m) => console.log(`[e2e] ${m}`));
}
