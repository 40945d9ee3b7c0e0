#!/usr/bin/env node
// The worker ships TypeScript source; tsx compiles it on load.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
