// What global-setup.ts hands to test files through vitest's provide()/inject().
// Type-only: importing any type from here brings the declarations into scope.

/** How `CREATE DATABASE ... TEMPLATE` copies the template. */
export type CloneStrategy = "FILE_COPY" | "WAL_LOG";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the test server (database `postgres`). */
    pgAdminUrl: string;
    /** Migrated template database that test databases are cloned from. */
    pgTemplate: string;
    /** Prefix of this run's test databases, so teardown can drop leftovers on a shared server. */
    pgDatabasePrefix: string;
    pgCloneStrategy: CloneStrategy;
  }
}
