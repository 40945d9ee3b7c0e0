import { join, resolve } from "node:path";
import { LocalModelStore, type ModelStore } from "@proofgrid/models/custom/model-store";
import { S3ModelStore } from "@proofgrid/models/custom/s3-model-store";
import { getEnv } from "../../env.ts";

let store: ModelStore | undefined;

/**
 * The content-addressed store of uploaded models (issue 17): the S3-compatible store that
 * MODEL_STORE_URL names, else local disk (MODEL_STORE_DIR, default under the data directory).
 */
export function modelStore(): ModelStore {
  if (!store) {
    const env = getEnv();
    store = env.MODEL_STORE_URL
      ? new S3ModelStore({ ...env.MODEL_STORE_URL, cacheDir: resolve(join(env.PROOFGRID_DATA_DIR, "model-cache")) })
      : new LocalModelStore(resolve(env.MODEL_STORE_DIR ?? join(env.PROOFGRID_DATA_DIR, "models")));
  }
  return store;
}

/** Where resumable uploads wait until they are validated and moved into the store. */
export function modelUploadDir(): string {
  const env = getEnv();
  return resolve(env.MODEL_UPLOAD_DIR ?? join(env.PROOFGRID_DATA_DIR, "model-uploads"));
}

/** Tests that change MODEL_STORE_DIR or MODEL_STORE_URL between cases start from a new store. */
export function resetModelStore(): void {
  store?.close();
  store = undefined;
}
