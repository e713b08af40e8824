// The restore runbook on the lab (dev-cloud): a backup put back over a
// changed database, a damaged archive refused before anything changes, and
// a restore that fails after the drop undone from its safety backup. Judged
// from the database itself: counts through the container's own shell, and
// every collection's documents and indexes read back.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { planBackup } from '../../src/activities/database/backups.ts';
import { databaseState } from '../../src/activities/database/restore.ts';
import type { BackupManifest, BackupResult, DatabaseState } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { expectPrivateFiles, labDiscordMessages, onHost, permissiveLoginUmask } from '../support/lab.ts';
import { command, countCooks, insertCooks } from '../support/mongo.ts';
import { startBackupLab } from '../support/backup-lab.ts';
import type { TestWorker } from '../support/worker.ts';

const HOST_DIR = '/opt/smart-smoker-dev/backups/scheduled';
const BACKUPS = '/opt/smart-smoker-dev/backups';
let w: TestWorker;
let undoUmask: (() => void) | undefined;
/** The mode of each archive the restore checked on the host (stageArchive), read the moment it returned: before anything else touches the folder. */
const stagedModes = new Map<string, string>();
let store: string;
let configFile: string;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  // Whatever smokestack left to the session's umask would be 0666 here (the reset is startBackupLab's first step).
  undoUmask = await permissiveLoginUmask('dev-cloud');
  ({ w, store, configFile, cliEnv } = await startBackupLab({
    activityInbound: [
      (ctx): ActivityInboundCallsInterceptor => ({
        async execute(input, next) {
          const result = await next(input);
          if (ctx.info.activityType === 'stageArchive') stagedModes.set(result as string, onHost('dev-cloud', `stat -c %a ${result as string}`).trim());
          return result;
        },
      }),
    ],
  }));
  insertCooks('dev-cloud', 300);
  command('dev-cloud', 'smartsmoker', { createIndexes: 'cooks', indexes: [{ key: { name: 1 }, name: 'by_name' }] });
  command('dev-cloud', 'smartsmoker', { insert: 'settings', documents: [{ _id: 'units', value: 'F' }] });
});
afterAll(async () => {
  undoUmask?.();
  await w?.stop();
});

const state = async (): Promise<DatabaseState> => databaseState(configFile, await planBackup(configFile, { environment: 'dev-cloud' }));
const backUp = async () =>
  (await w.client.workflow.execute('backup', { taskQueue: w.taskQueue, workflowId: 'database-dev-cloud', args: [{ environment: 'dev-cloud' }] })) as BackupResult;
const hotCooks = () => Number(command('dev-cloud', 'smartsmoker', { count: 'cooks', query: { temperature: { $gt: 500 } } }).n);
const backendHealth = () => onHost('dev-cloud', "docker inspect --format '{{.State.Health.Status}}' backend_cloud").trim();
const restore = (...args: string[]) => runCli(['restore', 'dev-cloud', ...args, '--config', configFile], cliEnv);

it('round trip: a backup put back over a changed database gives the same documents and indexes, and the app healthy', async () => {
  const before = await state();
  expect(before.collections.map((c) => [c.namespace, c.documents])).toEqual([
    ['smartsmoker.cooks', 300],
    ['smartsmoker.settings', 1],
  ]);
  expect(before.collections[0]!.indexes.some((i) => i.startsWith('by_name '))).toBe(true);
  const backup = (await backUp()).manifest;

  // What happens after the backup: a collection dropped, another created.
  command('dev-cloud', 'smartsmoker', { drop: 'cooks' });
  command('dev-cloud', 'smartsmoker', { insert: 'intruders', documents: [{ n: 1 }, { n: 2 }] });

  // Without --yes: the plan, and nothing changes.
  const plan = await restore();
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toContain(`backup ${backup.id}`);
  expect(plan.stdout).toContain('nothing changes without --yes');
  expect(countCooks('dev-cloud')).toBe(0);

  const run = await restore('--backup', backup.id, '--yes', '--wait');
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain(`succeeded: dev-cloud holds backup ${backup.id}`);
  const after = await state();
  expect(after).toEqual(before);
  expect(countCooks('dev-cloud')).toBe(300);
  expect(hotCooks()).toBe(24); // temperatures 501..524
  expect(Number(command('dev-cloud', 'smartsmoker', { count: 'intruders' }).n)).toBe(0);
  expect(backendHealth()).toBe('healthy');
  expect(await labDiscordMessages((m) => m.title.includes(`dev-cloud: backup ${backup.id} restored`))).not.toHaveLength(0);
  // The restore's safety backup and everything else on the host's side: private, on a host whose login umask is 000.
  expect(expectPrivateFiles('dev-cloud', [BACKUPS]).filter((p) => p.endsWith('.archive.gz')).length).toBeGreaterThanOrEqual(2);
});

/** Flips one byte in the middle of a file on the host. */
const flipByteOnHost = (path: string) =>
  onHost('dev-cloud', `size=$(stat -c %s ${path}); printf '\\377' | dd of=${path} bs=1 seek=$((size / 2)) conv=notrunc status=none`);

it('a damaged archive: a truncated host copy is replaced from the store; damaged in both places, it is refused before anything changes', async () => {
  const backup = (await backUp()).manifest;
  const hostPath = `${HOST_DIR}/${backup.archive}`;
  const before = await state();

  onHost('dev-cloud', `truncate -s 100 ${hostPath}`);
  const fromStore = await restore('--backup', backup.id, '--yes', '--wait');
  expect(fromStore.code, fromStore.stdout).toBe(0);
  expect(onHost('dev-cloud', `sha256sum ${hostPath}`).split(' ')[0]).toBe(backup.sha256);
  // Staged again from the store over SFTP, whose server has the login's umask (000): 0600 as it lands, and after.
  expect(stagedModes.get(hostPath)).toBe('600');
  expect(expectPrivateFiles('dev-cloud', [BACKUPS])).toContain(hostPath);

  flipByteOnHost(hostPath);
  const storePath = join(store, 'dev-cloud', backup.archive);
  const bytes = readFileSync(storePath);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
  writeFileSync(storePath, bytes);
  const backupsBefore = onHost('dev-cloud', `ls ${HOST_DIR}`);
  const refused = await restore('--backup', backup.id, '--yes', '--wait');
  expect(refused.code).toBe(2);
  expect(refused.stdout).toContain(`backup ${backup.id} is damaged in both places`);
  // Nothing changed: no safety backup taken, the database as it was, the app never stopped.
  expect(onHost('dev-cloud', `ls ${HOST_DIR}`)).toBe(backupsBefore);
  expect(await state()).toEqual(before);
  expect(backendHealth()).toBe('healthy');
});

it('a restore that fails after the drop puts the safety backup back: the database equals what it was before', async () => {
  // A backup whose archive matches its manifest's sha256 but is no mongodump archive: mongorestore fails after the drop.
  const id = '2026-01-01T02-00-00Z';
  const archive = gzipSync(Buffer.from('not a mongodump archive'));
  const sha256 = createHash('sha256').update(archive).digest('hex');
  const manifest: BackupManifest = {
    id, environment: 'dev-cloud', takenAt: Date.parse('2026-01-01T02:00:00Z'), trigger: 'manual', consistency: 'online', archive: `${id}.archive.gz`, sha256,
    bytes: archive.length, collections: [{ namespace: 'smartsmoker.cooks', documents: 1 }], tools: { mongodump: 'planted' }, run: { workflowId: 'planted', runId: 'planted' },
  };
  writeFileSync(join(store, 'dev-cloud', manifest.archive), archive);
  writeFileSync(join(store, 'dev-cloud', `${id}.manifest.json`), JSON.stringify(manifest));
  command('dev-cloud', 'smartsmoker', { insert: 'cooks', documents: [{ name: 'written after the last backup', temperature: 999 }] });
  const before = await state();

  const failed = await restore('--backup', id, '--yes', '--wait');
  expect(failed.code, failed.stdout).toBe(4);
  expect(failed.stdout).toContain('restore failed, the database is as it was before');
  expect(await state()).toEqual(before);
  expect(countCooks('dev-cloud')).toBe(301);
  expect(backendHealth()).toBe('healthy');
  expect(await labDiscordMessages((m) => m.title.includes(`dev-cloud: restore of ${id} failed, the database is as it was`))).not.toHaveLength(0);
});
