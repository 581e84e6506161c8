// Prisma CLI configuration (Prisma 7 keeps the datasource URL here, not in schema.prisma).
// Only the CLI reads this file; the application gets its URL from src/config.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/freshrec' },
});
