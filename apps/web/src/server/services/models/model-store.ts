import { join, resolve } from "node:path";
import { LocalModelStore } from "@proofgrid/models/custom/model-store";
import { getEnv } from "../../env.ts";

let store: LocalModelStore | undefined;

/** The content-addressed store of uploaded models (issue 17): local disk under the data directory by default. */
export function modelStore(): LocalModelStore {
  if (!store) {
    const env = getEnv();
    store = new LocalModelStore(resolve(env.MODEL_STORE_DIR ?? join(env.PROOFGRID_DATA_DIR, "models")));
  }
  return store;
}

/** Where resumable uploads wait until they are validated and moved into the store. */
export function modelUploadDir(): string {
  const env = getEnv();
  return resolve(env.MODEL_UPLOAD_DIR ?? join(env.PROOFGRID_DATA_DIR, "model-uploads"));
}

/** Tests that change MODEL_STORE_DIR between cases start from a new store. */
export function resetModelStore(): void {
  store = undefined;
}
