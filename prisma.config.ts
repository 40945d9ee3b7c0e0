// Prisma 7 reads the connection URL from here, not from schema.prisma.
// `prisma generate` (scripts/postinstall.mjs) needs no database, so the URL is optional:
// `env()` from prisma/config would throw when DATABASE_URL is unset and break install.
// Migrations are applied by packages/db's runner (`npx tsx scripts/db-migrate.ts`);
// `prisma migrate deploy` also works where Prisma's schema engine can be downloaded.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL },
});
