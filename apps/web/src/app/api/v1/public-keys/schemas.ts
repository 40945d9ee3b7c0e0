import { z } from "zod";

/** `?node=<id>`: also that node's key. */
export const ZNodeId = z.uuid();
