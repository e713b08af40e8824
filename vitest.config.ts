import { defineConfig } from 'vitest/config';
import LabSequencer from './test/support/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // The lab's hosts are shared machines: one test file at a time.
    fileParallelism: false,
    sequence: { sequencer: LabSequencer },
    pool: 'forks',
    testTimeout: 10 * 60_000,
    hookTimeout: 5 * 60_000,
    reporters: ['verbose', './test/support/summary-reporter.ts'],
  },
});
