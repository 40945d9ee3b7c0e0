// Applies prisma/migrations to the database at DATABASE_URL:
//   DATABASE_URL=postgresql://... npx tsx scripts/db-migrate.ts
// Safe to run from several processes at once (advisory lock; see packages/db/src/migrate.ts).
import { MigrationError, migrate } from "../packages/db/src/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("db-migrate: DATABASE_URL is not set");
  process.exit(2);
}

try {
  const t0 = performance.now();
  const applied = await migrate({ url, log: (message) => console.log(`db-migrate: ${message}`) });
  console.log(`db-migrate: ${applied.length} migration(s) applied in ${Math.round(performance.now() - t0)} ms`);
} catch (error) {
  if (error instanceof MigrationError) {
    console.error(`db-migrate: ${error.code}: ${error.message}`);
  } else {
    console.error("db-migrate: failed:", error);
  }
  process.exit(1);
}
