import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: starts its own three-master Redis Cluster (test/helpers/redis-cluster.ts)
// on fixed loopback ports, so its files run one at a time.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
