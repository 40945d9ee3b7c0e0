/** Where the dashboard sends an upload's bytes (tus, with the session): this folder's routes. */
export const DASHBOARD_UPLOADS_PATH = "/dashboard/models/uploads";
