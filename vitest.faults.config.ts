import { defineConfig } from 'vitest/config';

// `npm run test:faults`: injects crashes, Redis loss and a PostgreSQL restart, so its tests
// run one at a time and never beside the ordinary suite.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.faults.ts'],
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
