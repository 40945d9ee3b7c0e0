// Worker-thread entry for the executor of last resort: module hooks are per thread, so tsx
// registers itself here too (as apps/worker's inference thread does).
import { register } from "tsx/esm/api";

register();
await import("./executor-thread.ts");
