// The backup runbook on the lab: a real mongodump on dev-cloud, its copy
// off the host in the runner's store, and rotation of both copies. Judged
// from the files themselves (checksums, counts, which backups remain), not
// from the workflow's word.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { rotate } from '../../src/workflows/rotation.ts';
import type { BackupManifest, BackupResult, DeployResult, ValidationResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { activityRuns } from '../support/history.ts';
import { labConfigWith } from '../support/config.ts';
import { expectPrivateFiles, hostContainer, labDiscordMessages, onHost, permissiveLoginUmask, resetHost } from '../support/lab.ts';
import { countCooks, insertCooks } from '../support/mongo.ts';
import { LAB_CACHE } from '../support/paths.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const HOST_DIR = '/opt/smart-smoker-dev/backups/scheduled';
const TIME_ZONE = 'Europe/Berlin';
const DAY = 86_400_000;
let w: TestWorker;
let store: string;
let configFile: string;
/** The test's hand between two steps: called with each activity's type and result as it completes. */
let afterActivity: (type: string, result: unknown) => Promise<void> | void = () => undefined;
let undoUmask: (() => void) | undefined;

beforeAll(async () => {
  resetHost('dev-cloud');
  // Whatever smokestack left to the session's umask would be 0666 here.
  undoUmask = await permissiveLoginUmask('dev-cloud');
  store = mkdtempSync(join(tmpdir(), 'smokestack-store-'));
  configFile = labConfigWith((c) => (c.backups = { store, timeZone: TIME_ZONE }));
  w = await startWorker(configFile, undefined, {
    activityInbound: [
      (ctx): ActivityInboundCallsInterceptor => ({
        async execute(input, next) {
          const result = await next(input);
          await afterActivity(ctx.info.activityType, result);
          return result;
        },
      }),
    ],
  });
  const deployed = await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version: 'v1' }] });
  expect((deployed as DeployResult).outcome).toBe('succeeded');
  insertCooks('dev-cloud', 250);
});
afterAll(async () => {
  undoUmask?.();
  await w?.stop();
});

const backUp = async (): Promise<BackupResult> =>
  (await w.client.workflow.execute('backup', { taskQueue: w.taskQueue, workflowId: 'database-dev-cloud', args: [{ environment: 'dev-cloud', trigger: 'manual' }] })) as BackupResult;

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const storeDir = () => join(store, 'dev-cloud');
const ids = (names: string[]) => names.filter((n) => n.endsWith('.archive.gz')).map((n) => n.replace(/\.archive\.gz$/, '')).sort();
const hostIds = () => ids(onHost('dev-cloud', `ls -1A ${HOST_DIR}`).split('\n'));
const storeIds = () => ids(readdirSync(storeDir()));

it('takes a real dump on the host and a copy off it: the same bytes in both places, counted as the database counts', async () => {
  const result = await backUp();
  const m = result.manifest;
  expect(result.hostPath).toBe(`${HOST_DIR}/${m.archive}`);
  // Both copies hash to the manifest's sha256, each computed where it lies.
  expect(onHost('dev-cloud', `sha256sum ${result.hostPath}`).split(' ')[0]).toBe(m.sha256);
  expect(sha256Of(result.storePath)).toBe(m.sha256);
  expect(readFileSync(result.storePath).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
  // The manifest beside each copy is the same document.
  const onHostManifest = JSON.parse(onHost('dev-cloud', `cat ${HOST_DIR}/${m.id}.manifest.json`)) as BackupManifest;
  const inStore = JSON.parse(readFileSync(join(storeDir(), `${m.id}.manifest.json`), 'utf8')) as BackupManifest;
  expect(onHostManifest).toEqual(m);
  expect(inStore).toEqual(m);
  // mongodump's own count of what it wrote is what the database holds.
  expect(m.collections.find((c) => c.namespace === 'smartsmoker.cooks')?.documents).toBe(countCooks('dev-cloud'));
  // The lab's mongodump is built from source and says "built-without-version-string": recorded as it says.
  expect(m.tools.mongodump).toMatch(/^(\d+\.\d+|built-without-version-string)/);
  // The manifests are private to their owner in both places.
  expect(onHost('dev-cloud', `stat -c %a ${HOST_DIR}/${m.id}.manifest.json`).trim()).toBe('600');
  expect(statSync(join(storeDir(), `${m.id}.manifest.json`)).mode & 0o777).toBe(0o600);
  // So is everything else the dump left on the host, under a login umask of 000: the archive (a redirect), its folders.
  expect(expectPrivateFiles('dev-cloud', ['/opt/smart-smoker-dev/backups'])).toEqual(expect.arrayContaining([result.hostPath, `${HOST_DIR}/${m.id}.manifest.json`]));
  expect(statSync(result.storePath).mode & 0o777).toBe(0o600);
  const notices = await labDiscordMessages((n) => n.title.includes(`dev-cloud: backup ${m.id} taken`));
  expect(notices.length).toBeGreaterThanOrEqual(1);
});

it('an archive damaged on the host after its dump is caught by the copy: the backup fails as corrupt, tried once, and the store keeps nothing of it', async () => {
  let damaged: BackupManifest | undefined;
  afterActivity = (type, result) => {
    if (type !== 'takeBackup') return;
    damaged = result as BackupManifest;
    // One byte flipped in the middle of the archive, after the host hashed it.
    const path = `${HOST_DIR}/${damaged.archive}`;
    const local = join(mkdtempSync(join(tmpdir(), 'smokestack-flip-')), damaged.archive);
    execFileSync('docker', ['cp', `${hostContainer('dev-cloud')}:${path}`, local]);
    const bytes = readFileSync(local);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x01;
    writeFileSync(local, bytes);
    execFileSync('docker', ['cp', local, `${hostContainer('dev-cloud')}:${path}`]);
  };
  try {
    const failed = await backUp().then(() => undefined, (err) => err);
    expect(failed, 'the backup must fail').toBeDefined();
    expect(String(failed.cause?.cause?.message ?? failed.cause?.message)).toContain('no longer matches its manifest');
  } finally {
    afterActivity = () => undefined;
  }
  expect(damaged).toBeDefined();
  expect(onHost('dev-cloud', `sha256sum ${HOST_DIR}/${damaged!.archive}`).split(' ')[0]).not.toBe(damaged!.sha256);
  // Nothing of it in the store, not even a partial copy.
  expect(readdirSync(storeDir()).filter((f) => f.startsWith(damaged!.id))).toEqual([]);
  // Final, not retried: a copy of a damaged archive is damaged every time.
  const runs = await activityRuns(w.client.workflow.getHandle('database-dev-cloud'));
  expect(runs.filter((r) => r.type === 'copyOffHost').map((r) => r.attempt)).toEqual([1]);
  onHost('dev-cloud', `rm -f ${HOST_DIR}/${damaged!.id}.*`);
});

it("the root password is never in a process's arguments on the host while it dumps (ps sampled throughout)", async () => {
  for (let i = 0; i < 8; i++) insertCooks('dev-cloud', 2500); // a dump long enough to be seen
  const password = readFileSync(join(LAB_CACHE, 'lab/secrets/mongo-root-password'), 'utf8').trim();
  onHost('dev-cloud', 'rm -f /tmp/ps.log; (while [ ! -e /tmp/ps.stop ]; do ps -eo args >> /tmp/ps.log; done; rm -f /tmp/ps.stop) >/dev/null 2>&1 &');
  try {
    await backUp();
  } finally {
    onHost('dev-cloud', 'touch /tmp/ps.stop; sleep 0.5');
  }
  const local = join(mkdtempSync(join(tmpdir(), 'smokestack-ps-')), 'ps.log');
  execFileSync('docker', ['cp', `${hostContainer('dev-cloud')}:/tmp/ps.log`, local]);
  const sampled = readFileSync(local, 'utf8');
  expect(sampled, 'the sampler saw the dump running').toContain('mongodump');
  expect(sampled.includes(password)).toBe(false);
});

/** A fake earlier backup, in both places, as the runbook writes them. */
function plantOld(takenAt: number): string {
  const id = new Date(takenAt).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  // Well formed (a manifest that is not is refused, and rotation never sees it): the archive's real sha256 and size.
  const manifest = { id, environment: 'dev-cloud', takenAt, trigger: 'schedule', consistency: 'online', archive: `${id}.archive.gz`, sha256: createHash('sha256').update('x').digest('hex'), bytes: 1, collections: [], tools: { mongodump: 'planted' }, run: { workflowId: 'planted', runId: 'planted' } };
  writeFileSync(join(storeDir(), `${id}.archive.gz`), 'x');
  writeFileSync(join(storeDir(), `${id}.manifest.json`), JSON.stringify(manifest));
  return `printf x > ${HOST_DIR}/${id}.archive.gz && printf '%s' '${JSON.stringify(manifest)}' > ${HOST_DIR}/${id}.manifest.json`;
}

it('rotates both copies as restic would: after 60 daily backups, exactly the ones the policy keeps remain, the new one among them', async () => {
  const now = Date.now();
  const planted = Array.from({ length: 60 }, (_, i) => now - (i + 1) * DAY);
  onHost('dev-cloud', planted.map(plantOld).join(' && '));
  const before = { host: hostIds(), store: storeIds() };
  expect(before.host.length).toBeGreaterThanOrEqual(61);

  const result = await backUp();
  const id = result.manifest.id;
  for (const [copy, listed] of Object.entries(before) as ['host' | 'store', string[]][]) {
    const candidates = [...listed, id].map((x) => ({ id: x, takenAt: x === id ? result.manifest.takenAt : Date.parse(x.replace(/T(\d+)-(\d+)-(\d+)Z$/, 'T$1:$2:$3Z')) }));
    const expected = rotate(candidates, { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, timeZone: TIME_ZONE }, result.manifest.takenAt);
    const remaining = copy === 'host' ? hostIds() : storeIds();
    expect(remaining).toEqual(expected.keep.map((k) => k.id).sort());
    expect(remaining).toContain(id);
    // 7 days, plus the older weeks and months: far fewer than 61, and more than 7.
    expect(remaining.length).toBeGreaterThan(7);
    expect(remaining.length).toBeLessThanOrEqual(7 + 4 + 12);
    expect(result.rotation.find((r) => r.copy === copy)!.removed.sort()).toEqual(expected.remove.sort());
  }
});

it('backups lists both copies with the rule that keeps each; an environment without a database is refused before Temporal is asked', async () => {
  const listing = await w.client.workflow.execute('backupInventory', { taskQueue: w.taskQueue, workflowId: `backups-dev-cloud-${Date.now()}`, args: [{ environment: 'dev-cloud' }] });
  const newest = (listing as { backups: { manifest: BackupManifest; copies: string[]; keptBy: string[] }[] }).backups[0]!;
  expect(newest.copies).toEqual(['host', 'store']);
  expect(newest.keptBy).toContain('newest');

  const refused = await runCli(['backup', 'virtual-smoker']);
  expect(refused.code).toBe(2);
  expect(refused.stderr + refused.stdout).toContain('virtual-smoker has no database to back up');
});

it('schedules apply, run twice, leaves one daily backup and one weekly validation per environment with a database; fired, they make a backup that backups lists as validated', async () => {
  const cliEnv = { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue };
  const ours = ['backup-daily-dev-cloud', 'backup-daily-prod-cloud', 'backup-daily-smokecloud', 'validate-weekly-dev-cloud', 'validate-weekly-prod-cloud', 'validate-weekly-smokecloud'];
  const first = await runCli(['schedules', 'apply', '--config', configFile], cliEnv);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain('created backup-daily-dev-cloud');
  expect(first.stdout).toContain('created validate-weekly-dev-cloud');
  const second = await runCli(['schedules', 'apply', '--config', configFile], cliEnv);
  expect(second.stdout).toContain('updated backup-daily-dev-cloud');
  expect(second.stdout).toContain('updated validate-weekly-dev-cloud');
  const ids: string[] = [];
  for await (const s of w.client.schedule.list()) ids.push(s.scheduleId);
  expect(ids.filter((id) => /^(backup-daily|validate-weekly)-/.test(id)).sort()).toEqual(ours);
  const described = await w.client.schedule.getHandle('backup-daily-dev-cloud').describe();
  expect(described.spec.timezone).toBe(TIME_ZONE);
  expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
  const weekly = await w.client.schedule.getHandle('validate-weekly-dev-cloud').describe();
  expect(weekly.spec.calendars?.[0]).toMatchObject({ dayOfWeek: [{ start: 'SUNDAY', end: 'SUNDAY', step: 1 }], hour: [{ start: 4, end: 4, step: 1 }] });
  expect(weekly.policies.overlap).toBe('SKIP');
  const listed = await runCli(['schedules', '--config', configFile], cliEnv);
  expect(listed.stdout).toMatch(/backup-daily-dev-cloud\s+daily at\s+02:00 Europe\/Berlin\s+next 20/);
  expect(listed.stdout).toMatch(/validate-weekly-dev-cloud\s+weekly sunday at\s+04:00 Europe\/Berlin\s+next 20/);

  try {
    const fired = (await resultOfFired('backup-daily-dev-cloud', 'backup')) as BackupResult;
    expect(fired.manifest.trigger).toBe('schedule');
    const shown = await runCli(['backups', 'dev-cloud', '--config', configFile], cliEnv);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[1]).toMatch(new RegExp(`^${fired.manifest.id}\\s+\\d+m\\s+[\\d.]+ KiB\\s+host\\+store\\s+-\\s+daily`));

    const validated = (await resultOfFired('validate-weekly-dev-cloud', 'validateBackup')) as ValidationResult;
    expect(validated.backup.id).toBe(fired.manifest.id);
    const after = await runCli(['backups', 'dev-cloud', '--config', configFile], cliEnv);
    expect(after.stdout.split('\n')[1]).toMatch(new RegExp(`^${fired.manifest.id}\\s+\\d+m\\s+[\\d.]+ KiB\\s+host\\+store\\s+yes\\s+daily`));
  } finally {
    for (const id of ours) await w.client.schedule.getHandle(id).delete().catch(() => undefined);
  }
});

/** Fires a schedule now and waits for the run it started to complete; its result. */
async function resultOfFired(scheduleId: string, workflowType: string): Promise<unknown> {
  const since = new Date().toISOString();
  await w.client.schedule.getHandle(scheduleId).trigger();
  for (let i = 0; i < 240; i++) {
    for await (const wf of w.client.workflow.list({ query: `WorkflowType = '${workflowType}' AND StartTime >= '${since}' AND TaskQueue = '${w.taskQueue}'` })) {
      if (wf.status.name === 'COMPLETED') return w.client.workflow.getHandle(wf.workflowId, wf.runId).result();
      if (wf.status.name !== 'RUNNING') throw new Error(`${wf.workflowId} ended ${wf.status.name}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${scheduleId} fired no ${workflowType} that completed within 2 minutes`);
}
