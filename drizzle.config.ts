import { defineConfig } from 'drizzle-kit';

// Migrations are generated from schema/*.ts and committed; never edit a merged one.
export default defineConfig({
  dialect: 'postgresql',
  schema: './schema/index.ts',
  out: './schema/migrations',
});
