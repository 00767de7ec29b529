import { defineConfig } from 'vitest/config';

// `npm run test:nginx`: the sample nginx configuration (ops/nginx) with Debian's nginx in
// front of a local file server, asking a real gate.
export default defineConfig({
  test: {
    include: ['test/nginx/**/*.nginx.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
