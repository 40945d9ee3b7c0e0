// Worker-thread entry: module hooks are per thread, so tsx registers itself here too.
import { register } from "tsx/esm/api";

register();
await import("./inference-thread.ts");
