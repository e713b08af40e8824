// One real Temporal server (the CLI's dev server, started through the SDK's
// TestWorkflowEnvironment) for the whole run; test files connect to it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.ts';
import { temporalBinary } from './paths.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** When the run started (ms): the lab's Discord stand-in keeps every run's messages, the secrets sweep reads this run's. */
    runStartedAt: number;
  }
}

export default async function setup(project: TestProject) {
  project.provide('runStartedAt', Date.now());
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      ip: '127.0.0.1',
      searchAttributes: SEARCH_ATTRIBUTES,
    },
  });
  project.provide('temporalAddress', env.address);
  // Where the CLI's and the workers' output is kept for the secrets sweep (test/support/output.ts).
  project.provide('outputDir', mkdtempSync(join(tmpdir(), 'smokestack-test-output-')));
  return async () => {
    const folder = process.env.SMOKESTACK_RECORD_HISTORIES;
    if (folder) {
      const { recordHistories } = await import('./record-histories.ts');
      console.log(`recorded replay fixtures in ${folder}: ${(await recordHistories(env.client, folder)).join(', ')}`);
    }
    await env.teardown();
  };
}
