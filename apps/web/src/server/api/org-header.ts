/**
 * The organisation a dashboard page shows (`?org=<id>`), sent by its client components with
 * their tRPC requests so that they read the same organisation as the page. The session's
 * user must be a member of it; an API key's organisation is fixed. No imports: the browser
 * bundle uses it too.
 */
export const ORG_HEADER = "x-proofgrid-org";
