import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser test needs Chromium: `npm run test:browser` (vitest.browser.config.ts).
    exclude: ['test/**/*.browser.test.ts'],
    // Every file has its own database and Redis prefix (test/helpers), so files may run in parallel.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
