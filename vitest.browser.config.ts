import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the dashboards in Debian's headless Chromium (`apt-get install
// chromium`; .ci/run installs it). Not part of `npm test`, which needs only PostgreSQL and Redis.
export default defineConfig({
  test: { include: ['test/**/*.browser.test.ts'], pool: 'forks', testTimeout: 60_000, hookTimeout: 60_000 },
});
