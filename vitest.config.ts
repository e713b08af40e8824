import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // The lab's hosts are shared machines: one test file at a time.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 10 * 60_000,
    hookTimeout: 5 * 60_000,
    reporters: ['verbose', './test/support/summary-reporter.ts'],
  },
});
