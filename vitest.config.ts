import { defineConfig } from 'vitest/config';

// Integration tests share one Redis and two cores, so files run in a small pool.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/streamrec/**/*.test.ts',
      'test/**/*.test.ts',
      'deploy/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 180_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
