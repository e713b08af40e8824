// The validation runbook on the lab (dev-cloud): a backup restored into a
// scratch database on its own host and compared with its manifest. Judged
// from the database and the host themselves: the archive's content hashes
// against the live database's, the scratch container seen starting and gone
// by the host's Docker engine, the live container never restarted, the
// verdict in both manifests, and damage caught as damage.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { planBackup } from '../../src/activities/database/backups.ts';
import { databaseState } from '../../src/activities/database/restore.ts';
import type { BackupManifest, DatabaseState } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { activityRuns } from '../support/history.ts';
import { labDiscordMessages, onHost } from '../support/lab.ts';
import { command, insertCooks } from '../support/mongo.ts';
import { startBackupLab } from '../support/backup-lab.ts';
import { labConfigWith } from '../support/config.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const HOST_DIR = '/opt/smart-smoker-dev/backups/scheduled';
let w: TestWorker;
let store: string;
let configFile: string;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  ({ w, store, configFile, cliEnv } = await startBackupLab());
  insertCooks('dev-cloud', 400);
  command('dev-cloud', 'smartsmoker', { createIndexes: 'cooks', indexes: [{ key: { name: 1 }, name: 'by_name', unique: true }] });
  command('dev-cloud', 'smartsmoker', { insert: 'settings', documents: [{ _id: 'units', value: 'F' }, { _id: 'probe', value: { offset: -1.5, calibrated: new Date().toISOString() } }] });
  command('dev-cloud', 'smartsmoker_audit', { insert: 'events', documents: [{ at: 1, what: 'seeded' }] });
});
afterAll(async () => {
  await w?.stop();
});

const cli = (...args: string[]) => runCli([...args, '--config', configFile], cliEnv);
const state = async (): Promise<DatabaseState> => databaseState(configFile, await planBackup(configFile, { environment: 'dev-cloud' }));
const storeManifest = (id: string): BackupManifest => JSON.parse(readFileSync(join(store, 'dev-cloud', `${id}.manifest.json`), 'utf8'));
const hostManifest = (id: string): BackupManifest => JSON.parse(onHost('dev-cloud', `cat ${HOST_DIR}/${id}.manifest.json`));
const writeBoth = (m: BackupManifest) => {
  writeFileSync(join(store, 'dev-cloud', `${m.id}.manifest.json`), JSON.stringify(m));
  onHost('dev-cloud', `cat > ${HOST_DIR}/${m.id}.manifest.json <<'EOF'\n${JSON.stringify(m)}\nEOF`);
};
/** The live database container: its ID and when it last started (a restart changes the latter). */
const liveContainer = () => onHost('dev-cloud', "docker inspect --format '{{.Id}} {{.State.StartedAt}}' mongo").trim();
const scratchContainers = () => onHost('dev-cloud', "docker ps -a --filter label=smokestack.scratch --format '{{.Names}}'").trim();
const scratchEvents = (sinceMs: number) =>
  onHost('dev-cloud', `docker events --since ${Math.floor(sinceMs / 1000)} --until ${Math.ceil(Date.now() / 1000) + 1} --filter label=smokestack.scratch=validation --filter event=start --filter event=destroy --format '{{.Action}}'`)
    .split('\n')
    .filter(Boolean);

async function backUp(): Promise<BackupManifest> {
  const ran = await cli('backup', 'dev-cloud', '--wait');
  expect(ran.code, ran.stdout + ran.stderr).toBe(0);
  const id = /succeeded: backup (\S+) of dev-cloud/.exec(ran.stdout)![1]!;
  return storeManifest(id);
}

it('a backup proven in a scratch database: the archive holds what the live database held, and the restore gives it back, with nothing live touched', async () => {
  const live = await state();
  const manifest = await backUp();
  // Read from the archive alone, the content equals the live database's, collection by collection.
  expect(manifest.content?.serverVersion).toMatch(/^\d+\.\d+/);
  const fromArchive = manifest.content!.collections.filter((c) => !c.namespace.startsWith('admin.'));
  expect(fromArchive.map((c) => [c.namespace, c.documents, c.sha256])).toEqual(live.collections.map((c) => [c.namespace, c.documents, c.sha256]));
  expect(hostManifest(manifest.id).content).toEqual(manifest.content);

  const container = liveContainer();
  const since = Date.now();
  const ran = await cli('validate', 'dev-cloud', '--wait');
  expect(ran.code, ran.stdout + ran.stderr).toBe(0);
  expect(ran.stdout).toContain(`validated: backup ${manifest.id} of dev-cloud`);

  for (const m of [storeManifest(manifest.id), hostManifest(manifest.id)]) {
    expect(m.validated).toMatchObject({ ok: true, run: { workflowId: 'database-dev-cloud' } });
    expect(m.validated!.detail).toContain('3 collection(s), 403 document(s)');
  }
  const listed = await cli('backups', 'dev-cloud');
  expect(listed.stdout.split('\n').find((l) => l.startsWith(manifest.id))).toMatch(/host\+store\s+yes\s/);

  // A scratch database started and was destroyed; none is left; the live one never restarted and holds what it held.
  expect(scratchEvents(since)).toEqual(['start', 'destroy']);
  expect(scratchContainers()).toBe('');
  expect(liveContainer()).toBe(container);
  expect(await state()).toEqual(live);
  const runs = await activityRuns(w.client.workflow.getHandle('database-dev-cloud'));
  expect(runs.filter((r) => r.type === 'restoreIntoScratch').map((r) => r.closedAs)).toEqual(['completed']);
  expect(runs.some((r) => r.type === 'restoreArchive' || r.type === 'stopApp')).toBe(false);
});

it('damage is caught: a flipped byte in one copy, then both copies bad, each recorded as FAILED and said on Discord, the live database untouched', async () => {
  const manifest = await backUp();
  const live = await state();
  const container = liveContainer();

  const storePath = join(store, 'dev-cloud', manifest.archive);
  const bytes = readFileSync(storePath);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x01;
  writeFileSync(storePath, bytes);
  const oneBad = await cli('validate', 'dev-cloud', '--backup', manifest.id, '--wait');
  expect(oneBad.code).toBe(1);
  expect(oneBad.stdout).toContain(`INVALID: backup ${manifest.id} of dev-cloud FAILED validation: the store copy's archive has sha256`);
  expect(storeManifest(manifest.id).validated).toMatchObject({ ok: false });
  expect(hostManifest(manifest.id).validated).toMatchObject({ ok: false });

  onHost('dev-cloud', `truncate -s 1000 ${HOST_DIR}/${manifest.archive}`);
  const bothBad = await cli('validate', 'dev-cloud', '--backup', manifest.id, '--wait');
  expect(bothBad.code).toBe(1);
  expect(bothBad.stdout).toContain('no copy of the archive matches its manifest');
  expect(await labDiscordMessages((m) => m.title.includes(`dev-cloud: backup ${manifest.id} FAILED validation`))).toHaveLength(2);

  expect(liveContainer()).toBe(container);
  expect(await state()).toEqual(live);
  expect(scratchContainers()).toBe('');
});

it('an archive that is sound but is not what its manifest says: a count, a content hash and an index that differ are each found by the restore into scratch', async () => {
  const manifest = await backUp();
  const lie = structuredClone(manifest);
  lie.collections.find((c) => c.namespace === 'smartsmoker.cooks')!.documents = 401;
  lie.content!.collections.find((c) => c.namespace === 'smartsmoker.settings')!.sha256 = '0'.repeat(64);
  lie.indexes!.find((c) => c.namespace === 'smartsmoker.cooks')!.specs.push({ name: 'by_temperature', key: { temperature: -1 } });
  writeBoth(lie);

  const ran = await cli('validate', 'dev-cloud', '--backup', manifest.id, '--wait');
  expect(ran.code).toBe(1);
  expect(ran.stdout).toContain('smartsmoker.cooks: 400 documents, the backup has 401');
  expect(ran.stdout).toContain("smartsmoker.settings: content hash");
  expect(ran.stdout).toMatch(/smartsmoker\.cooks: indexes \[.*\], the backup's \[.*by_temperature/);
  expect(storeManifest(manifest.id).validated).toMatchObject({ ok: false });
});

it('a host without room for a scratch database is not validated, and the backup is not marked bad: the live database shares that disk', async () => {
  const manifest = await backUp();
  const cramped = labConfigWith((c) => {
    c.backups = { store };
    c.environments['dev-cloud'].minFreeDiskMb = 50_000_000;
  });
  const other = await startWorker(cramped);
  try {
    const ran = await runCli(['validate', 'dev-cloud', '--backup', manifest.id, '--wait', '--config', cramped], { TEMPORAL_ADDRESS: other.address, SMOKESTACK_TASK_QUEUE: other.taskQueue });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/a scratch database for \S+ needs \d+ MB free where Docker keeps its data on 172\.29\.101\.11/);
    expect(storeManifest(manifest.id).validated).toBeUndefined();
    expect(scratchContainers()).toBe('');
  } finally {
    await other.stop();
  }
});
