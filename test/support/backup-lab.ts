// The setting of the database runbooks' lab tests: dev-cloud reset and
// running v1, a fresh backup store, and a worker whose config points at it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { WorkerOptions } from '@temporalio/worker';
import type { DeployResult } from '../../src/workflows/types.ts';
import { labConfigWith } from './config.ts';
import { resetHost } from './lab.ts';
import { startWorker, type TestWorker } from './worker.ts';

export interface BackupLab {
  w: TestWorker;
  store: string;
  configFile: string;
  /** What the CLI needs to reach this worker. */
  cliEnv: Record<string, string>;
}

export async function startBackupLab(interceptors?: WorkerOptions['interceptors']): Promise<BackupLab> {
  resetHost('dev-cloud');
  const store = mkdtempSync(join(tmpdir(), 'smokestack-store-'));
  const configFile = labConfigWith((c) => (c.backups = { store }));
  const w = await startWorker(configFile, undefined, interceptors);
  const deployed = (await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version: 'v1' }] })) as DeployResult;
  expect(deployed.outcome).toBe('succeeded');
  return { w, store, configFile, cliEnv: { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue } };
}
