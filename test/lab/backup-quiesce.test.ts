// `consistency: quiesce` on the lab (dev-cloud): the app is stopped for the
// dump and started again after it, health-gated, even when the dump fails.
// Judged from the host's Docker engine (when the app's containers stopped
// and started) against the dump's own interval in the workflow's history.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BackupResult, DeployResult } from '../../src/workflows/types.ts';
import { labConfigWith } from '../support/config.ts';
import { activityRuns, only } from '../support/history.ts';
import { containerEvents, labDiscordMessages, onHost, resetHost } from '../support/lab.ts';
import { countCooks, insertCooks } from '../support/mongo.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const APP = ['backend_cloud', 'frontend_cloud'];
let w: TestWorker;

beforeAll(async () => {
  resetHost('dev-cloud');
  const store = mkdtempSync(join(tmpdir(), 'smokestack-store-'));
  w = await startWorker(labConfigWith((c) => (c.backups = { store, consistency: 'quiesce' })));
  const deployed = (await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version: 'v1' }] })) as DeployResult;
  expect(deployed.outcome).toBe('succeeded');
  insertCooks('dev-cloud', 120);
});
afterAll(async () => {
  await w?.stop();
});

const health = (container: string) => onHost('dev-cloud', `docker inspect --format '{{.State.Health.Status}}' ${container}`).trim();
const startBackup = () => w.client.workflow.start('backup', { taskQueue: w.taskQueue, workflowId: 'database-dev-cloud', args: [{ environment: 'dev-cloud', trigger: 'manual' }] });

it('the app is down exactly around the dump, and healthy after it', async () => {
  const since = Date.now();
  const handle = await startBackup();
  const result = (await handle.result()) as BackupResult;
  expect(result.manifest.consistency).toBe('quiesce');
  expect(result.manifest.collections.find((c) => c.namespace === 'smartsmoker.cooks')?.documents).toBe(120);

  const dump = only(await activityRuns(handle), 'takeBackup');
  for (const container of APP) {
    const events = containerEvents('dev-cloud', container, since);
    const stopped = events.find((e) => e.action === 'stop')!;
    const started = events.find((e) => e.action === 'start')!;
    expect(stopped, `${container} was stopped`).toBeDefined();
    expect(started, `${container} was started again`).toBeDefined();
    // Down before the dump began, up only after it ended.
    expect(stopped.at).toBeLessThan(dump.startedAt!);
    expect(started.at).toBeGreaterThan(dump.closedAt!);
    expect(health(container)).toBe('healthy');
  }
  expect(result.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
    'plan:succeeded', 'stop app:succeeded', 'dump:succeeded', 'start app:succeeded', 'health gate:succeeded', 'copy off host:succeeded', 'read archive:succeeded', 'rotate:succeeded',
  ]);
});

it('a dump that fails still brings the app back, healthy, and says the backup failed', async () => {
  onHost('dev-cloud', 'docker exec mongo mv /usr/local/bin/mongodump /usr/local/bin/mongodump.off');
  try {
    const since = Date.now();
    const handle = await startBackup();
    await expect(handle.result()).rejects.toThrow();
    const runs = await activityRuns(handle);
    expect(only(runs, 'takeBackup').closedAs).toBe('failed');
    expect(only(runs, 'startApp').closedAs).toBe('completed');
    expect(only(runs, 'healthGate').closedAs).toBe('completed');
    for (const container of APP) {
      expect(containerEvents('dev-cloud', container, since).map((e) => e.action).filter((a) => a !== 'die')).toEqual(['stop', 'start']);
      expect(health(container)).toBe('healthy');
    }
    expect(countCooks('dev-cloud')).toBe(120);
    expect(await labDiscordMessages((m) => m.title.includes('dev-cloud: backup FAILED'))).not.toHaveLength(0);
  } finally {
    onHost('dev-cloud', 'docker exec mongo mv /usr/local/bin/mongodump.off /usr/local/bin/mongodump');
  }
});
