/**
 * What data-access functions need: tagged-template raw SQL. Prisma's client and its
 * interactive transactions have it, and so does `SqlClient` (sql-client.ts), the thin
 * node-postgres wrapper the hot paths use (a Prisma raw query costs 0.9 ms here against
 * 0.27 ms for the same query on pg).
 */
export interface Db {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}
