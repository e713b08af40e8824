// The worker's metrics: how a run's end becomes labels, where the endpoint
// listens, what the backup store says, and the one page that serves it all.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { backupGauges, backupTimes } from '../../src/metrics/backups.ts';
import { runtimeTelemetry } from '../../src/metrics/runtime.ts';
import { newRegistry, serveMetrics } from '../../src/metrics/server.ts';
import { metricsAddress, parseAddress } from '../../src/metrics/settings.ts';
import { backupIdAt } from '../../src/workflows/backup-id.ts';
import { failure } from '../../src/workflows/failures.ts';
import { outcomeOf, RUNBOOK_DURATION, RUNBOOK_DURATION_BUCKETS, runbookLabels } from '../../src/workflows/runbook-metrics.ts';
import type { BackupManifest } from '../../src/workflows/types.ts';
import { labConfigWith } from '../support/config.ts';

describe('runbook labels', () => {
  it('names the runbook an operator would, and the environment it acts on', () => {
    expect(runbookLabels('deploy', { environment: 'dev-cloud', version: 'v2' })).toEqual({ runbook: 'deploy', environment: 'dev-cloud' });
    // Exact recorded images: `smokestack rollback`, or a promotion putting the cloud back.
    expect(runbookLabels('deploy', { environment: 'prod-cloud', version: 'v1', images: [] })).toEqual({ runbook: 'rollback', environment: 'prod-cloud' });
    expect(runbookLabels('promote', { release: 'v1.4.0' })).toEqual({ runbook: 'promote', environment: 'production' });
    expect(runbookLabels('deviceUpdate', { device: 'smoker', release: 'v1.4.0' })).toEqual({ runbook: 'device-update', environment: 'smoker' });
    expect(runbookLabels('backup', { environment: 'dev-cloud' })).toEqual({ runbook: 'backup', environment: 'dev-cloud' });
    expect(runbookLabels('validateBackup', { environment: 'dev-cloud' })).toEqual({ runbook: 'validate', environment: 'dev-cloud' });
    expect(runbookLabels('restore', { environment: 'dev-cloud' })).toEqual({ runbook: 'restore', environment: 'dev-cloud' });
    expect(runbookLabels('migrate', { from: 'smokecloud', to: 'prod-cloud' })).toEqual({ runbook: 'migrate', environment: 'prod-cloud' });
    expect(runbookLabels('databaseUsers', { environment: 'dev-cloud' })).toEqual({ runbook: 'database-users', environment: 'dev-cloud' });
  });

  it('leaves out the workflows that are not runbooks', () => {
    for (const type of ['notifier', 'environmentLock', 'keepSource', 'backupInventory']) expect(runbookLabels(type, {}), type).toBeUndefined();
  });
});

describe('outcomeOf', () => {
  it("takes the runbook's own word: the result's outcome, or the one its failure carries", () => {
    expect(outcomeOf({ result: { outcome: 'succeeded' } })).toBe('succeeded');
    expect(outcomeOf({ result: { outcome: 'expired' } })).toBe('expired');
    expect(outcomeOf({ result: { environment: 'dev-cloud' } })).toBe('succeeded');
    expect(outcomeOf({ error: failure('RolledBack', 'rolled back', { outcome: 'rolled-back' }) })).toBe('rolled-back');
    expect(outcomeOf({ error: failure('DeployFailed', 'failed', { outcome: 'failed' }) })).toBe('failed');
    // A migration refused because a host did not answer: refused, as its result says, though the type alone says no such thing.
    expect(outcomeOf({ error: failure('HostUnreachable', 'migration refused, nothing was stopped', { outcome: 'refused' }) })).toBe('refused');
  });

  it("else what the failure's type says", () => {
    expect(outcomeOf({ error: failure('RollbackFailed', 'restore failed AND putting it back failed', { environment: 'dev-cloud' }) })).toBe('rollback-failed');
    expect(outcomeOf({ error: failure('NothingToBackUp', 'no database') })).toBe('refused');
    expect(outcomeOf({ error: failure('BackupInvalid', 'FAILED validation', { ok: false }) })).toBe('failed');
    expect(outcomeOf({ error: new CancelledFailure('cancelled') })).toBe('cancelled');
    expect(outcomeOf({ error: ApplicationFailure.create({ message: 'boom' }) })).toBe('failed');
    expect(outcomeOf({ error: new Error('boom') })).toBe('failed');
  });
});

describe('metricsAddress', () => {
  it('is off without a section or a variable; the variable overrides the file', () => {
    expect(metricsAddress({}, {})).toBeUndefined();
    expect(metricsAddress({ metrics: { address: '127.0.0.1:9464' } }, {})).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(metricsAddress({}, { SMOKESTACK_METRICS_ADDRESS: '0.0.0.0:9100' })).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(metricsAddress({ metrics: { address: '127.0.0.1:9464' } }, { SMOKESTACK_METRICS_ADDRESS: '[::1]:0' })).toEqual({ host: '::1', port: 0 });
  });

  it('holds the variable to the schema', () => {
    expect(() => metricsAddress({}, { SMOKESTACK_METRICS_ADDRESS: '9464' })).toThrow(/SMOKESTACK_METRICS_ADDRESS="9464": must be HOST:PORT/);
    expect(() => metricsAddress({}, { SMOKESTACK_METRICS_ADDRESS: 'host:1; rm -rf /' })).toThrow(/must be HOST:PORT/);
    expect(() => parseAddress('localhost:70000')).toThrow(/port from 0 to 65535/);
  });
});

it("the runtime's exporter measures in seconds, and runbook durations in their own buckets", () => {
  const prometheus = (runtimeTelemetry('127.0.0.1:1234').metrics as { prometheus: Record<string, unknown> }).prometheus;
  expect(prometheus).toEqual({ bindAddress: '127.0.0.1:1234', useSecondsForDurations: true, histogramBucketOverrides: { [RUNBOOK_DURATION]: RUNBOOK_DURATION_BUCKETS } });
  // A promotion may wait a week: the buckets reach it, in order.
  expect(RUNBOOK_DURATION_BUCKETS.at(-1)).toBe(7 * 86400);
  expect([...RUNBOOK_DURATION_BUCKETS].sort((a, b) => a - b)).toEqual(RUNBOOK_DURATION_BUCKETS);
});

describe('the backup store, as metrics', () => {
  const HOUR = 3600_000;
  const T = Date.UTC(2026, 10, 28, 2, 0, 0);

  /** A store with backups of dev-cloud (the newest unvalidated, one whose validation failed) and none of prod-cloud. */
  function storeFixture(): string {
    const store = mkdtempSync(join(tmpdir(), 'smokestack-store-'));
    const put = (environment: string, takenAt: number, validated?: BackupManifest['validated'], archive = true) => {
      mkdirSync(join(store, environment), { recursive: true });
      const id = backupIdAt(takenAt);
      const manifest: BackupManifest = {
        ...{ id, environment, takenAt, trigger: 'schedule', consistency: 'online', archive: `${id}.archive.gz`, sha256: '0'.repeat(64), bytes: 2 },
        ...{ collections: [], tools: { mongodump: '100.10.0' }, run: { workflowId: 'database-dev-cloud', runId: 'r' } },
        ...(validated ? { validated } : {}),
      };
      writeFileSync(join(store, environment, `${id}.manifest.json`), JSON.stringify(manifest));
      if (archive) writeFileSync(join(store, environment, manifest.archive), 'gz');
    };
    put('dev-cloud', T - 72 * HOUR, { at: T - 70 * HOUR, ok: true, detail: 'ok' });
    put('dev-cloud', T - 48 * HOUR, { at: T - 46 * HOUR, ok: false, detail: 'counts differ' });
    put('dev-cloud', T - 24 * HOUR);
    // A manifest whose archive is gone (rotated away half-way) is no backup.
    put('dev-cloud', T, undefined, false);
    // Nor is one dated next year, validated or not: it would hide every stale backup from the alerts.
    put('dev-cloud', Date.now() + 365 * 24 * HOUR, { at: Date.now() + 365 * 24 * HOUR, ok: true, detail: 'planted' });
    return labConfigWith((config) => (config.backups.store = store));
  }

  it('reads the newest backup, and the newest validated one, of every environment with a database', async () => {
    const times = await backupTimes(storeFixture());
    expect(times.sort((a, b) => a.environment.localeCompare(b.environment))).toEqual([
      { environment: 'dev-cloud', lastSuccess: T - 24 * HOUR, lastValidated: T - 72 * HOUR, count: 3 },
      { environment: 'prod-cloud', lastSuccess: null, lastValidated: null, count: 0 },
      { environment: 'smokecloud', lastSuccess: null, lastValidated: null, count: 0 },
    ]);
  });

  it('exports them as Unix seconds, 0 for none, so an alert computes the age', async () => {
    const registry = newRegistry();
    await backupGauges(registry, storeFixture()).refresh();
    const text = await registry.metrics();
    expect(text).toContain(`smokestack_backup_last_success_timestamp_seconds{environment="dev-cloud"} ${(T - 24 * HOUR) / 1000}`);
    expect(text).toContain(`smokestack_backup_last_validated_timestamp_seconds{environment="dev-cloud"} ${(T - 72 * HOUR) / 1000}`);
    expect(text).toContain('smokestack_backup_last_success_timestamp_seconds{environment="prod-cloud"} 0');
    expect(text).toContain('smokestack_backups_in_store{environment="dev-cloud"} 3');
    // Environments without a database have no backups to miss.
    expect(text).not.toContain('environment="virtual-smoker"');
  });
});

describe('the endpoint', () => {
  const servers: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function fakeRuntime(body: string, status = 200): Promise<string> {
    const server: Server = createServer((_, res) => res.writeHead(status).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise((r) => server.close(r)) });
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
  }

  it("serves the runtime's text and smokestack's own on one page, reading each source at each scrape", async () => {
    const runtime = await fakeRuntime('# TYPE temporal_workflow_completed counter\ntemporal_workflow_completed{workflow_type="deploy"} 3\n');
    let reads = 0;
    const registry = newRegistry();
    const endpoint = await serveMetrics({ host: '127.0.0.1', port: 0 }, runtime, registry, [{ name: 'backups', refresh: async () => void reads++ }]);
    servers.push(endpoint);
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const page = await (await fetch(endpoint.url)).text();
    expect(page).toContain('temporal_workflow_completed{workflow_type="deploy"} 3');
    expect(page).toContain('smokestack_metrics_source_up{source="temporal-runtime"} 1');
    expect(page).toContain('smokestack_metrics_source_up{source="backups"} 1');
    expect(page).toContain('process_resident_memory_bytes');
    await fetch(endpoint.url);
    expect(reads).toBe(2);
    expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).toBe(404);
  });

  it('a source that fails is said so, and the rest of the page is served', async () => {
    const runtime = await fakeRuntime('no', 500);
    const warnings: string[] = [];
    const endpoint = await serveMetrics({ host: '127.0.0.1', port: 0 }, runtime, newRegistry(), [{ name: 'backups', refresh: () => Promise.reject(new Error('EACCES')) }], (w) => warnings.push(w));
    servers.push(endpoint);
    const res = await fetch(endpoint.url);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('smokestack_metrics_source_up{source="temporal-runtime"} 0');
    expect(page).toContain('smokestack_metrics_source_up{source="backups"} 0');
    expect(warnings.join('\n')).toContain('backups did not answer: EACCES');
  });
});
