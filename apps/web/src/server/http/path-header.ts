/** The request's own path and query, set by src/proxy.ts for the signed-in pages. No imports: the proxy bundles it. */
export const PATH_HEADER = "x-proofgrid-path";
