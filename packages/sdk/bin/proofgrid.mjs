#!/usr/bin/env node
// The SDK ships TypeScript source; tsx compiles it on load.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
await main(process.argv);
