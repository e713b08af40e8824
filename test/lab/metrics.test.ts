// The worker's one metrics endpoint, for real: the runtime installed with
// metrics (as `npm run worker` does when metrics are configured), a deploy
// to dev-cloud, and a scrape over HTTP that counts it once, even after the
// workflow is replayed, beside the Temporal runtime's own metrics.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, type Worker } from '@temporalio/worker';
import { dataConverterFromEnv } from '../../src/codec/data-converter.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startMetrics } from '../../src/metrics/start.ts';
import type { MetricsServer } from '../../src/metrics/server.ts';
import { temporalSettings } from '../../src/temporal/connection.ts';
import { createWorker } from '../../src/worker.ts';
import { deployWorkflowId, progressQuery } from '../../src/workflows/definitions.ts';
import type { DeployInput, DeployProgress, DeployResult } from '../../src/workflows/types.ts';
import { resetHost } from '../support/lab.ts';
import { namesInOps } from '../support/monitoring.ts';
import { LAB_CONFIG } from '../support/worker.ts';

/** The value of one sample of `name` whose labels include `labels`; undefined when the page has none. */
function sample(page: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of page.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  return undefined;
}

let metrics: MetricsServer;
let worker: Worker;
let running: Promise<void>;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
const taskQueue = `test-${randomUUID()}`;

beforeAll(async () => {
  resetHost('dev-cloud');
  const address = inject('temporalAddress');
  // Before any connection or worker: this file's process gets its runtime from here, with metrics.
  metrics = await startMetrics({ host: '127.0.0.1', port: 0 }, LAB_CONFIG, { ...temporalSettings(loadConfig(LAB_CONFIG)), address }, { logger: new DefaultLogger('WARN') });
  nativeConnection = await NativeConnection.connect({ address });
  worker = await createWorker(nativeConnection, 'default', taskQueue, LAB_CONFIG);
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFromEnv() });
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
  await metrics?.close();
});

const scrape = async (): Promise<string> => {
  const res = await fetch(metrics.url);
  expect(res.status).toBe(200);
  return res.text();
};

describe('the worker metrics endpoint', () => {
  it("counts a deploy's outcome and duration once, beside the Temporal runtime's metrics and the backup store's", async () => {
    const deployed = { runbook: 'deploy', environment: 'dev-cloud', outcome: 'succeeded' };
    const before = await scrape();
    const counted = sample(before, 'smokestack_runbook_outcomes_total', deployed) ?? 0;
    const timed = sample(before, 'smokestack_runbook_duration_seconds_count', deployed) ?? 0;

    const input: DeployInput = { environment: 'dev-cloud', version: 'v1', requestedBy: 'metrics test' };
    const handle = await client.workflow.start('deploy', { taskQueue, workflowId: deployWorkflowId('dev-cloud'), args: [input] });
    expect(((await handle.result()) as DeployResult).outcome).toBe('succeeded');

    const after = await scrape();
    expect(sample(after, 'smokestack_runbook_outcomes_total', deployed)).toBe(counted + 1);
    expect(sample(after, 'smokestack_runbook_duration_seconds_count', deployed)).toBe(timed + 1);
    // Its duration, in seconds, as the run's own start and end times say.
    const { startTime, closeTime } = await handle.describe();
    const took = (sample(after, 'smokestack_runbook_duration_seconds_sum', deployed) ?? 0) - (sample(before, 'smokestack_runbook_duration_seconds_sum', deployed) ?? 0);
    expect(took).toBeGreaterThan(1);
    expect(took).toBeLessThanOrEqual((closeTime!.getTime() - startTime.getTime()) / 1000 + 1);
    // The Temporal runtime's own metrics, on the same page.
    expect(sample(after, 'temporal_workflow_completed', { workflow_type: 'deploy', task_queue: taskQueue })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'temporal_num_pollers', { poller_type: 'workflow_task', task_queue: taskQueue })).toBeGreaterThan(0);
    expect(after).toMatch(/^temporal_request\{/m);
    // Every runtime metric the alert rules and the dashboard query (ops/) is one this runtime exports;
    // the runtime declares a failure counter only once something has failed.
    const types = new Set([...after.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const declaredOnFirstFailure = ['temporal_activity_execution_failed'];
    expect(namesInOps('temporal_', true).filter((name) => !types.has(name) && !declaredOnFirstFailure.includes(name))).toEqual([]);
    // The backup store's, read from the runner's store (0: never backed up), and every source answered.
    expect(sample(after, 'smokestack_backup_last_success_timestamp_seconds', { environment: 'dev-cloud' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'smokestack_backup_last_validated_timestamp_seconds', { environment: 'prod-cloud' })).toBeGreaterThanOrEqual(0);
    for (const source of ['temporal-runtime', 'backups', 'promotions']) expect(sample(after, 'smokestack_metrics_source_up', { source }), source).toBe(1);

    // A query of the ended run replays its whole history on this worker: nothing is counted again.
    expect((await handle.query<DeployProgress>(progressQuery)).outcome).toBe('succeeded');
    const replayed = await scrape();
    expect(sample(replayed, 'smokestack_runbook_outcomes_total', deployed)).toBe(counted + 1);
    expect(sample(replayed, 'smokestack_runbook_duration_seconds_count', deployed)).toBe(timed + 1);
  });
});
