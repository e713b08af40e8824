// Manifests and names on a host are input (issue 21), on the lab
// (dev-cloud): a host that plants a manifest whose id climbs out of its
// directory, one dated next year, one that is a link to /dev/zero, one too
// large, a name with newlines, and valid-looking backups the store has no
// copy of. The listing refuses each with why, validation and restore choose
// the real backup, rotation neither counts nor removes what the store does
// not vouch for, nothing is written outside the store or the host's backup
// folder, and the worker (in this process) keeps its memory.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backupIdAt } from '../../src/workflows/backup-id.ts';
import type { BackupManifest, BackupResult, DeployResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { onHost, resetHost } from '../support/lab.ts';
import { insertCooks } from '../support/mongo.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const DEPLOY_DIR = '/opt/smart-smoker-dev';
const HOST_DIR = `${DEPLOY_DIR}/backups/scheduled`;
const HOUR = 3_600_000;
const MIB = 2 ** 20;

let w: TestWorker;
/** Mine alone: the store is `<root>/runner/store`, so a write that climbs out of it lands in `<root>/runner`. */
let root: string;
let store: string;
let configFile: string;
let cliEnv: Record<string, string>;
/** Called with each activity's type as it completes: the test's hand inside a run. */
let afterActivity: (type: string) => void = () => undefined;

beforeAll(async () => {
  resetHost('dev-cloud');
  root = mkdtempSync(join(tmpdir(), 'smokestack-trust-'));
  store = join(root, 'runner', 'store');
  mkdirSync(store, { recursive: true });
  configFile = labConfigWith((c) => (c.backups = { store, timeZone: 'UTC' }));
  w = await startWorker(configFile, undefined, {
    activityInbound: [
      (ctx): ActivityInboundCallsInterceptor => ({
        async execute(input, next) {
          const result = await next(input);
          afterActivity(ctx.info.activityType);
          return result;
        },
      }),
    ],
  });
  cliEnv = { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue };
  const deployed = (await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version: 'v1' }] })) as DeployResult;
  expect(deployed.outcome).toBe('succeeded');
  insertCooks('dev-cloud', 120);
});
afterAll(async () => {
  await w?.stop();
});

const cli = (...args: string[]) => runCli([...args, '--config', configFile], cliEnv);
const storeDir = () => join(store, 'dev-cloud');
const backUp = async () =>
  (await w.client.workflow.execute('backup', { taskQueue: w.taskQueue, workflowId: 'database-dev-cloud', args: [{ environment: 'dev-cloud', trigger: 'manual' }] })) as BackupResult;

/** Writes bytes to a path on the host, whatever they hold (base64 through the shell). */
const putOnHost = (path: string, bytes: Buffer | string) => onHost('dev-cloud', `printf '%s' '${Buffer.from(bytes).toString('base64')}' | base64 -d > '${path}'`);

/** A backup that looks like one of ours: an archive (gzip, not a dump) and a well-formed manifest with its real sha256. */
function lookalike(takenAt: number, id = backupIdAt(takenAt)): { manifest: BackupManifest; archive: Buffer } {
  const archive = gzipSync(Buffer.from(`planted ${id}`));
  const manifest: BackupManifest = {
    id, environment: 'dev-cloud', takenAt, trigger: 'schedule', consistency: 'online', archive: `${id}.archive.gz`,
    sha256: createHash('sha256').update(archive).digest('hex'), bytes: archive.length,
    collections: [{ namespace: 'smartsmoker.cooks', documents: 1 }], tools: { mongodump: 'planted' }, run: { workflowId: 'planted', runId: 'planted' },
  };
  return { manifest, archive };
}

/** On the host only, as a backup whose copy to the store never happened (or a host that made one up). */
function plantOnHost(takenAt: number, id?: string): BackupManifest {
  const { manifest, archive } = lookalike(takenAt, id);
  putOnHost(`${HOST_DIR}/${manifest.archive}`, archive);
  putOnHost(`${HOST_DIR}/${manifest.id}.manifest.json`, JSON.stringify(manifest));
  return manifest;
}

/** What must not change: beside the store on the runner, and beside the backups on the host. */
const outside = () => ({
  runner: readdirSync(join(root, 'runner')).sort(),
  store: readdirSync(store).sort(),
  host: onHost('dev-cloud', `find / -xdev -maxdepth 1 | sort; find ${DEPLOY_DIR} -maxdepth 2 | sort; ls -A ${DEPLOY_DIR}/backups`),
});
const onHostNow = () => onHost('dev-cloud', `ls -1A ${HOST_DIR}`);
const storeNow = () => readdirSync(storeDir());

it('planted manifests are refused with why, host-only backups are never chosen nor rotated, nothing is written outside, the worker keeps its memory', async () => {
  const real = (await backUp()).manifest;
  const rssBefore = process.memoryUsage().rss;
  const t = real.takenAt;
  const ids = { climbing: backupIdAt(t - 5 * 60_000), zero: backupIdAt(t - 4 * 60_000), big: backupIdAt(t - 3 * 60_000), storeZero: backupIdAt(t - 2 * 60_000), storeClimbing: backupIdAt(t - 60_000) };

  // 1. An id that climbs out: its file and archive look right, and it is the newest, so trusted it would be chosen and written back.
  const climbing = lookalike(Date.now() + 30_000, ids.climbing);
  putOnHost(`${HOST_DIR}/${ids.climbing}.archive.gz`, climbing.archive);
  putOnHost(`${HOST_DIR}/${ids.climbing}.manifest.json`, JSON.stringify({ ...climbing.manifest, id: '../../x' }));
  // 2. Dated next year: it would be "the newest" until then.
  const future = plantOnHost(Date.now() + 365 * 24 * HOUR);
  // 3. A link to /dev/zero, with an archive beside it: read, it never ends.
  putOnHost(`${HOST_DIR}/${ids.zero}.archive.gz`, climbing.archive);
  onHost('dev-cloud', `ln -s /dev/zero ${HOST_DIR}/${ids.zero}.manifest.json`);
  // 4. A manifest padded to 2 MiB.
  const big = lookalike(t - 3 * 60_000, ids.big);
  putOnHost(`${HOST_DIR}/${ids.big}.archive.gz`, big.archive);
  putOnHost(`${HOST_DIR}/${ids.big}.manifest.json`, JSON.stringify(big.manifest));
  onHost('dev-cloud', `head -c ${2 * MIB} /dev/zero | tr '\\0' ' ' >> ${HOST_DIR}/${ids.big}.manifest.json`);
  // 5. A name with newlines around "..": listed by lines, it would be "..".
  onHost('dev-cloud', `printf '{}' > "${HOST_DIR}/$(printf 'x\\n..\\ny.manifest.json')"`);
  // 6. Well formed, newer than the real backup, on the host alone.
  const hostOnly = plantOnHost(Date.now());
  // And in the runner's store: a link to /dev/zero and a climbing id.
  writeFileSync(join(storeDir(), `${ids.storeZero}.archive.gz`), climbing.archive);
  symlinkSync('/dev/zero', join(storeDir(), `${ids.storeZero}.manifest.json`));
  writeFileSync(join(storeDir(), `${ids.storeClimbing}.archive.gz`), climbing.archive);
  writeFileSync(join(storeDir(), `${ids.storeClimbing}.manifest.json`), JSON.stringify({ ...climbing.manifest, id: '../../x' }));
  const before = outside();

  // The listing: each refused with why, none of them a row; the host-only backup shown as such, counted by no rule.
  const listed = await cli('backups', 'dev-cloud');
  expect(listed.code, listed.stdout + listed.stderr).toBe(0);
  const out = listed.stdout;
  expect(out).toContain(`refused (host): "${ids.climbing}.manifest.json": id "../../x": is not a backup id`);
  expect(out).toMatch(new RegExp(`refused \\(host\\): "${future.id}.manifest.json": its id's time is \\S+, in the future`));
  expect(out).toContain(`refused (host): "${ids.zero}.manifest.json": a symbolic link`);
  expect(out).toMatch(new RegExp(`refused \\(host\\): "${ids.big}.manifest.json": \\d+ bytes, more than ${MIB}`));
  expect(out).toContain('refused (host): "x\\n..\\ny.manifest.json": a name with ".."');
  expect(out).toContain(`refused (store): "${ids.storeZero}.manifest.json": a symbolic link`);
  expect(out).toContain(`refused (store): "${ids.storeClimbing}.manifest.json": id "../../x": is not a backup id`);
  const rows = out.split('\n').filter((l) => /^\d{4}-/.test(l));
  expect(rows.map((l) => l.split(/\s+/)[0])).toEqual([hostOnly.id, real.id]);
  expect(rows[0]).toMatch(/host only\s+-\s+none: on the host only, not in the store/);
  expect(rows[1]).toMatch(/host\+store\s+-\s+daily .*newest/);

  // Validation (what the weekly schedule runs) takes the real backup, not the newer one on the host alone.
  const validated = await cli('validate', 'dev-cloud', '--wait');
  expect(validated.code, validated.stdout).toBe(0);
  expect(validated.stdout).toContain(`validated: backup ${real.id} of dev-cloud`);
  // Named, the host-only one is refused before anything runs; an id that is no id, too.
  const named = await cli('validate', 'dev-cloud', '--backup', hostOnly.id, '--wait');
  expect(named.code, named.stdout).toBe(2);
  expect(named.stdout).toContain(`backup ${hostOnly.id} of dev-cloud is on its host only: the store has no copy to check it against`);
  const climbingNamed = await cli('validate', 'dev-cloud', '--backup', '../../x', '--wait');
  expect(climbingNamed.code, climbingNamed.stdout).toBe(2);
  expect(climbingNamed.stdout).toContain('"../../x" is not a backup id');
  // The restore's plan (nothing changes without --yes) names the real one too.
  const plan = await cli('restore', 'dev-cloud');
  expect(plan.stdout).toContain(`backup ${real.id}, taken`);
  expect((await cli('restore', 'dev-cloud', '--backup', hostOnly.id)).stdout).toContain('is on its host only');

  // A real backup of yesterday in both places, and a host-only one of the same day, newer: trusted, it would take the day's slot.
  const dayStart = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR;
  const yesterday = lookalike(dayStart - 12 * HOUR);
  writeFileSync(join(storeDir(), yesterday.manifest.archive), yesterday.archive);
  writeFileSync(join(storeDir(), `${yesterday.manifest.id}.manifest.json`), JSON.stringify(yesterday.manifest));
  putOnHost(`${HOST_DIR}/${yesterday.manifest.archive}`, yesterday.archive);
  putOnHost(`${HOST_DIR}/${yesterday.manifest.id}.manifest.json`, JSON.stringify(yesterday.manifest));
  const yesterdayHostOnly = plantOnHost(dayStart - 11 * HOUR);
  // And, planted while the backup runs (after its copy is safe, before rotation), a host-only one newer than it.
  let newerThanNew: BackupManifest | undefined;
  afterActivity = (type) => {
    if (type === 'inspectArchive') newerThanNew = plantOnHost(Date.now(), `${backupIdAt(Date.now())}-planted`);
  };
  let fresh: BackupResult;
  try {
    fresh = await backUp();
  } finally {
    afterActivity = () => undefined;
  }
  expect(newerThanNew).toBeDefined();
  const onTheHost = onHostNow();
  // The new backup, the validated one and yesterday's real one stay on the host; so does every host-only one, left alone.
  for (const id of [fresh.manifest.id, real.id, yesterday.manifest.id, hostOnly.id, yesterdayHostOnly.id, newerThanNew!.id]) expect(onTheHost, id).toContain(`${id}.archive.gz`);
  const hostReport = fresh.rotation.find((r) => r.copy === 'host')!;
  expect(hostReport.removed).toEqual([]);
  expect(hostReport.hostOnly?.sort()).toEqual([hostOnly.id, yesterdayHostOnly.id, newerThanNew!.id].sort());
  expect(hostReport.refused).toHaveLength(5);
  expect(hostReport.refused).toContainEqual(expect.stringMatching(/^"x\\n..\\ny.manifest.json": a name with "\.\."$/));
  expect(fresh.rotation.find((r) => r.copy === 'store')!.refused).toHaveLength(2);
  // Refused files are not touched either: not removed, not rewritten.
  for (const name of [`${ids.climbing}.manifest.json`, `${future.id}.manifest.json`, `${ids.zero}.manifest.json`, `${ids.big}.manifest.json`]) expect(onTheHost).toContain(name);
  expect(onHost('dev-cloud', `readlink ${HOST_DIR}/${ids.zero}.manifest.json`).trim()).toBe('/dev/zero');
  expect(storeNow()).toEqual(expect.arrayContaining([`${fresh.manifest.id}.archive.gz`, `${real.id}.archive.gz`, `${yesterday.manifest.id}.archive.gz`]));
  expect(storeNow().filter((n) => n.includes(hostOnly.id) || n.includes(newerThanNew!.id))).toEqual([]);

  // Nothing was written beside the store, nor beside the host's backups.
  expect(outside()).toEqual(before);
  // The worker ran every listing in this process: its memory grew by no /dev/zero.
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * MIB);
  expect((await cli('backups', 'dev-cloud')).code).toBe(0);
});
