import { defineConfig } from 'vitest/config';

// Checks against ../shared/samples (not part of `npm test`: a user's clone has no ../shared).
export default defineConfig({
  test: { include: ['test-samples/**/*.test.ts'], pool: 'forks', testTimeout: 120_000, hookTimeout: 60_000 },
});
