// Database users (issue 9) on prod-cloud: `smokestack db users` creates or
// updates root, the app and the backup user, idempotently, with passwords
// read on the worker. Proven here through the SSH tunnel, as the database
// itself answers: the users log in with their passwords and not with
// others, a second run rotates a password, and no password is in a
// history, the CLI's output or the worker's log.
//
// Roles are not proven here: the lab's FerretDB 1.24 has authentication but
// no authorization (docs/database.md); test/unit/database-users.test.ts
// pins the exact commands instead.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { withDatabase } from '../../src/activities/database/connect.ts';
import { hostTargetOf } from '../../src/activities/plan.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { DeployResult, HostTarget } from '../../src/workflows/types.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { resetHost, tryOnHost } from '../support/lab.ts';
import { deployInput } from '../support/signing.ts';
import { LAB_CACHE } from '../support/paths.ts';
import { LAB_CONFIG, startWorker, type TestWorker } from '../support/worker.ts';

const ENV = 'prod-cloud';
const WORKFLOW_ID = `database-users-${ENV}`;
const secret = (name: string) => readFileSync(join(LAB_CACHE, 'lab/secrets', name), 'utf8').trim();
const ROOT_PW = secret('mongo-root-password');
const APP_PW = secret('mongo-app-password');
// The lab has no backup password: this test brings its own, in a 0600 file the worker reads.
const BACKUP_PW_1 = randomBytes(18).toString('base64');
const BACKUP_PW_2 = randomBytes(18).toString('base64');
const backupSecretFile = join(mkdtempSync(join(tmpdir(), 'smokestack-db-users-')), 'mongo-backup-password');

let target: HostTarget;
let lab: TestWorker; // the lab's smokestack.yml: no backup secret
let withBackup: TestWorker; // the same, plus MONGO_BACKUP_PASSWORD from backupSecretFile
let withBackupConfig: string;

/** The stack runs on prod-cloud, healthy: deployed (v1) unless it already is. */
async function ensureStack(client: Client, taskQueue: string): Promise<void> {
  const health = tryOnHost(ENV, "docker inspect --format '{{.State.Health.Status}}' mongo backend_cloud frontend_cloud");
  if (health.code === 0 && health.stdout.trim().split('\n').every((s) => s === 'healthy')) return;
  resetHost(ENV);
  const handle = await client.workflow.start('deploy', { taskQueue, workflowId: `deploy-${ENV}`, args: [await deployInput({ environment: ENV, version: 'v1' })] });
  expect(((await handle.result()) as DeployResult).outcome).toBe('succeeded');
}

beforeAll(async () => {
  writeFileSync(backupSecretFile, BACKUP_PW_1 + '\n', { mode: 0o600 });
  withBackupConfig = labConfigWith((c) => (c.environments[ENV].secrets.MONGO_BACKUP_PASSWORD = { file: backupSecretFile }));
  [lab, withBackup] = [await startWorker(LAB_CONFIG), await startWorker(withBackupConfig)];
  await ensureStack(lab.client, lab.taskQueue);
  target = hostTargetOf(loadConfig(LAB_CONFIG).environments[ENV]!);
  // A clean slate for the backup user, so that the first run below creates it.
  await withDatabase(target, { user: 'admin', password: ROOT_PW }, (c) => c.db('admin').command({ dropUser: 'smokestack-backup' }).catch(() => undefined));
});
afterAll(async () => {
  await lab?.stop();
  await withBackup?.stop();
});

const cli = (w: TestWorker, args: string[]) => runCli(args, { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue, GITHUB_ACTOR: 'alice' });

/** Whether the database lets `user` in with `password` (through the same tunnel smokestack uses). */
async function logsIn(user: string, password: string): Promise<true | string> {
  return withDatabase(target, { user, password }, async (c) => (await c.db('admin').command({ ping: 1 })).ok === 1 || 'ping failed').catch(
    (err: Error) => err.message,
  );
}

/** The run's ID, from the Web UI link the CLI printed. */
const runIdOf = (run: CliRun): string => run.stdout.match(new RegExp(`/workflows/${WORKFLOW_ID}/([0-9a-f-]+)/history`))![1]!;

/** A run's history as text, payloads decoded (JSON of raw bytes would hide a secret as numbers). */
async function historyText(client: Client, runId: string): Promise<string> {
  const plain = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
  };
  return JSON.stringify(plain(await client.workflow.getHandle(WORKFLOW_ID, runId).fetchHistory()));
}

const printedBy = (runs: CliRun[]) => runs.map((o) => o.stdout + o.stderr).join('\n');
const PASSWORDS = () => [ROOT_PW, APP_PW, BACKUP_PW_1, BACKUP_PW_2].flatMap((p) => [p, encodeURIComponent(p)]);
const runs: { client: Client; runId: string }[] = [];
const outputs: CliRun[] = [];
const FERRETDB_NOTE = /^ {2}note: FerretDB v1\.24\.\d+ has no authorization: users and passwords are set, roles are not$/m;

describe('smokestack db users prod-cloud', () => {
  it('with no backup secret: root and app are updated, the backup user is not managed, and says so', async () => {
    const run = await cli(lab, ['db', 'users', ENV]);
    outputs.push(run);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    runs.push({ client: lab.client, runId: runIdOf(run) });
    // The database's init script made the app user at its first start: it exists already.
    expect(run.stdout).toContain('  admin (root): updated\n');
    expect(run.stdout).toContain('  smartsmoker (app): updated\n');
    expect(run.stdout).toContain('  smokestack-backup (backup): skipped: no secret MONGO_BACKUP_PASSWORD: backup user not managed\n');
    expect(run.stdout).toMatch(FERRETDB_NOTE);
    expect(await logsIn('smokestack-backup', BACKUP_PW_1)).toMatch(/refused user smokestack-backup/);
  });

  it('with one: the first run creates the backup user, the second updates every user and rotates its password', async () => {
    const first = await cli(withBackup, ['--config', withBackupConfig, 'db', 'users', ENV]);
    outputs.push(first);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    runs.push({ client: withBackup.client, runId: runIdOf(first) });
    expect(first.stdout).toContain('  admin (root): updated\n');
    expect(first.stdout).toContain('  smartsmoker (app): updated\n');
    expect(first.stdout).toContain('  smokestack-backup (backup): created\n');
    expect(await logsIn('smokestack-backup', BACKUP_PW_1)).toBe(true);

    writeFileSync(backupSecretFile, BACKUP_PW_2 + '\n');
    const second = await cli(withBackup, ['--config', withBackupConfig, 'db', 'users', ENV]);
    outputs.push(second);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    runs.push({ client: withBackup.client, runId: runIdOf(second) });
    expect(second.stdout.split('\n').filter((l) => l.startsWith('  ') && !l.includes('Web UI'))).toEqual([
      '  admin (root): updated',
      '  smartsmoker (app): updated',
      '  smokestack-backup (backup): updated',
      expect.stringMatching(FERRETDB_NOTE),
    ]);
    // updateUser set the new password: the old one no longer works.
    expect(await logsIn('smokestack-backup', BACKUP_PW_2)).toBe(true);
    expect(await logsIn('smokestack-backup', BACKUP_PW_1)).toMatch(/refused user smokestack-backup/);
  });

  it('the app user logs in with its password and not with another; root still does; the backend still answers', async () => {
    expect(await logsIn('smartsmoker', APP_PW)).toBe(true);
    expect(await logsIn('smartsmoker', `${APP_PW}x`)).toMatch(/refused user smartsmoker: wrong password, or no such user/);
    expect(await logsIn('smartsmoker', ROOT_PW)).toMatch(/refused user smartsmoker/);
    expect(await logsIn('admin', ROOT_PW)).toBe(true);
    // The backend's own login (DB_URL, the URI-encoded app password) still works: a fresh process proves it.
    expect(tryOnHost(ENV, 'docker restart backend_cloud >/dev/null && for i in $(seq 60); do curl -sf http://127.0.0.1:3001/api/ready && exit 0; sleep 1; done; exit 1').code).toBe(0);
  });

  it('a root password the database refuses: refused at once (no retries), exit 2, naming the user only', async () => {
    const wrongRoot = join(mkdtempSync(join(tmpdir(), 'smokestack-db-users-')), 'wrong-root-password');
    writeFileSync(wrongRoot, `${ROOT_PW}-not\n`, { mode: 0o600 });
    const config = labConfigWith((c) => (c.environments[ENV].secrets.MONGO_ROOT_PASSWORD = { file: wrongRoot }));
    const w = await startWorker(config);
    try {
      const run = await cli(w, ['--config', config, 'db', 'users', ENV]);
      outputs.push(run);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stdout).toContain(`failed: the database on ${target.host} (127.0.0.1:27017 there) refused user admin: wrong password, or no such user\n`);
      const history = await w.client.workflow.getHandle(WORKFLOW_ID, runIdOf(run)).fetchHistory();
      const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
      expect(attempts).toEqual([1]);
      expect(await historyText(w.client, runIdOf(run))).not.toContain(`${ROOT_PW}-not`);
      expect(printedBy([run])).not.toContain(`${ROOT_PW}-not`);
    } finally {
      await w.stop();
    }
  });

  it('no password is in any run\'s history, in what the CLI printed, or in the worker\'s log', async () => {
    expect(runs).toHaveLength(3);
    for (const { client, runId } of runs) {
      const text = await historyText(client, runId);
      expect(text).toContain('smokestack-backup'); // decoded: the result's user names are readable
      for (const pw of PASSWORDS()) expect(text.includes(pw), `a password in the history of ${runId}`).toBe(false);
    }
    const printed = printedBy(outputs);
    const workerLog = readFileSync(join(inject('outputDir'), `worker-${process.pid}.log`), 'utf8');
    expect(workerLog).toContain('createUser smokestack-backup'); // the worker did log its commands...
    for (const pw of PASSWORDS()) {
      expect(printed.includes(pw), 'a password in the CLI output').toBe(false);
      expect(workerLog.includes(pw), 'a password in the worker log').toBe(false); // ...by name only
    }
  });
});
