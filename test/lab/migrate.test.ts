// The migration of smokecloud's database (the old cloud Pi, 100k realistic
// documents) to prod-cloud, on the lab: a dry run into dev-cloud first, a
// loss injected on the target, a write to the source after its final dump,
// and a real migration whose worker is SIGKILLed during the transfer. Each
// proven from the databases themselves (counts, indexes, content hashes),
// the hosts' containers and the runs' histories.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { asRoot } from '../../src/activities/database/root.ts';
import { stateOf } from '../../src/activities/database/restore.ts';
import { migrateWorkflowId, migrationProgressQuery } from '../../src/workflows/definitions.ts';
import type { DatabaseState, DeployResult, MigrateResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { activityRuns } from '../support/history.ts';
import { expectPrivateFiles, hostContainer, labDiscordMessages, onHost, permissiveLoginUmask, resetHost, type LabHost } from '../support/lab.ts';
import { LAB_CACHE } from '../support/paths.ts';
import { deployInput, signedChange, SIGN_AS_BOB } from '../support/signing.ts';
import { prepareSmokecloud, SMOKECLOUD, type SmokecloudSeed } from '../support/smokecloud.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const TARGET = 'prod-cloud';
const DRY_TARGET = 'dev-cloud';
/** The reminder that smokecloud may go: seconds here, 14 days by default. */
const KEEP_SECONDS = 20;

const store = mkdtempSync(join(tmpdir(), 'smokestack-migrate-store-'));
const configFile = labConfigWith((c) => {
  c.backups = { store };
  c.migration = { keepSourceDays: KEEP_SECONDS / 86_400 };
});

/** What happens right after an activity of the worker completes: the test's hand in the world between two steps. */
let afterActivity: (type: string, args: unknown[]) => Promise<void> = async () => undefined;

let w: TestWorker;
let seed: SmokecloudSeed;
let cliEnv: Record<string, string>;
const undoUmask: (() => void)[] = [];

const stateOfEnv = (environment: string): Promise<DatabaseState> => asRoot(configFile, { environment }, stateOf);
/** Each container's ID, name, state and when it last started: a restart or a replacement shows. */
const containers = (host: LabHost) => onHost(host, "docker inspect --format '{{.Id}} {{.Name}} {{.State.Status}} {{.State.StartedAt}}' $(docker ps -aq) | sort").trim();
const healthOf = (host: LabHost) => onHost(host, "docker inspect --format '{{.Name}} {{.State.Health.Status}}' mongo backend_cloud frontend_cloud").trim().split('\n');

async function deployV1(environment: string) {
  resetHost(environment as LabHost);
  const deployed = (await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: `deploy-${environment}`, args: [await deployInput({ environment, version: 'v1' })] })) as DeployResult;
  expect(deployed.outcome).toBe('succeeded');
}

/** bob's request to move smokecloud's database to prod-cloud (protected): fresh for each run, as each may use it once. */
const signedMigration = () => signedChange({ action: 'migrate', environment: TARGET, from: SMOKECLOUD });

const migrateCli = (...args: string[]) => runCli(['-c', configFile, 'migrate', '--from', SMOKECLOUD, ...args], cliEnv);

const failureOf = (err: any): MigrateResult | undefined => err?.cause?.details?.[0] ?? err?.details?.[0];

beforeAll(async () => {
  // Hosts as careless as can be: whatever smokestack left to the session's umask would be 0666.
  for (const host of [SMOKECLOUD, TARGET, DRY_TARGET] as LabHost[]) undoUmask.push(await permissiveLoginUmask(host));
  w = await startWorker(configFile, undefined, {
    activityInbound: [
      (ctx): ActivityInboundCallsInterceptor => ({
        async execute(input, next) {
          const result = await next(input);
          await afterActivity(ctx.info.activityType, input.args as unknown[]);
          return result;
        },
      }),
    ],
  });
  cliEnv = { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue };
  seed = await prepareSmokecloud({ worker: w });
  await deployV1(TARGET);
  await deployV1(DRY_TARGET);
}, 900_000);

afterAll(async () => {
  for (const undo of undoUmask) undo();
  await w?.stop();
});

describe('migrate smokecloud to prod-cloud', () => {
  it('without --yes prints the plan and changes nothing; bad input is refused before Temporal is asked', async () => {
    const before = containers(SMOKECLOUD);
    const plan = await migrateCli('--to', TARGET);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('maintenance window');
    expect(plan.stdout).toContain('--yes');
    const same = await migrateCli('--to', SMOKECLOUD, '--yes');
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('both smokecloud');
    const none = await migrateCli('--to', 'virtual-smoker', '--yes');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has no database');
    expect(containers(SMOKECLOUD)).toBe(before);
  });

  it('a dry run copies into dev-cloud, verified, while smokecloud keeps running untouched', async () => {
    const containersBefore = containers(SMOKECLOUD);
    const sourceBefore = await stateOfEnv(SMOKECLOUD);
    const run = await migrateCli('--to', TARGET, '--dry-run', '--yes', '--wait');
    expect(run.stdout + run.stderr).toContain('dry run succeeded');
    expect(run.code).toBe(0);
    // The source: the same containers (same IDs, never restarted) and the same data, hash for hash.
    expect(containers(SMOKECLOUD)).toBe(containersBefore);
    expect(await stateOfEnv(SMOKECLOUD)).toEqual(sourceBefore);
    // The dev target holds the copy: every collection, count, index and content hash.
    expect(await stateOfEnv(DRY_TARGET)).toEqual(sourceBefore);
    expect(healthOf(DRY_TARGET)).toEqual(['/mongo healthy', '/backend_cloud healthy', '/frontend_cloud healthy']);
    // prod-cloud, the real target, was not touched.
    expect((await stateOfEnv(TARGET)).collections.some((c) => c.namespace.startsWith('smartsmoker.temps'))).toBe(false);
  });

  it('a document lost on the target before verify is found: the migration rolls back, smokecloud serves again, Discord says so', async () => {
    const sourceBefore = await stateOfEnv(SMOKECLOUD);
    afterActivity = async (type, args) => {
      if (type === 'restoreArchive' && (args[0] as { environment: string }).environment === TARGET) {
        await asRoot(configFile, { environment: TARGET }, (admin) => admin.client.db('smartsmoker').collection('ratings').deleteOne({}));
      }
    };
    const handle = await w.client.workflow.start('migrate', { taskQueue: w.taskQueue, workflowId: migrateWorkflowId(SMOKECLOUD), args: [{ from: SMOKECLOUD, to: TARGET, authorization: await signedMigration() }] });
    const failed = await handle.result().then(() => undefined, (err) => err);
    afterActivity = async () => undefined;
    expect(failed, 'the migration must fail').toBeDefined();
    const result = failureOf(failed);
    expect(result?.outcome).toBe('rolled-back');
    const verify = result!.steps.find((s) => s.name === 'verify')!;
    expect(verify.state).toBe('failed');
    expect(verify.detail).toContain('smartsmoker.ratings');
    expect(result!.steps.find((s) => s.name === 'bring the source back')?.state).toBe('succeeded');
    expect(result!.steps.find((s) => s.name === 'stop the target')?.state).toBe('succeeded');
    // smokecloud serves again with all its data; prod-cloud's app is stopped.
    expect(healthOf(SMOKECLOUD)).toEqual(['/mongo healthy', '/backend_cloud healthy', '/frontend_cloud healthy']);
    expect(await stateOfEnv(SMOKECLOUD)).toEqual(sourceBefore);
    expect(onHost(TARGET, "docker ps --format '{{.Names}}'").trim()).toBe('mongo');
    const said = await labDiscordMessages((m) => m.title.includes('migration of smokecloud to prod-cloud rolled back') && m.url?.includes(handle.workflowId) === true);
    expect(said.length).toBeGreaterThan(0);
    expect((await labDiscordMessages((m) => m.title.includes('maintenance started') && m.title.includes('smokecloud'))).length).toBeGreaterThan(0);
  });

  it('a write that reaches smokecloud after its final dump is counted, and stops the move: rolled back, nothing lost', async () => {
    afterActivity = async (type, args) => {
      if (type === 'transferArchive') {
        await asRoot(configFile, { environment: SMOKECLOUD }, (admin) => admin.client.db('smartsmoker').collection('ratings').insertOne({ late: true, stars: 5 }));
      }
    };
    const handle = await w.client.workflow.start('migrate', { taskQueue: w.taskQueue, workflowId: migrateWorkflowId(SMOKECLOUD), args: [{ from: SMOKECLOUD, to: TARGET, authorization: await signedMigration() }] });
    const failed = await handle.result().then(() => undefined, (err) => err);
    afterActivity = async () => undefined;
    const result = failureOf(failed);
    expect(result?.outcome).toBe('rolled-back');
    const verify = result!.steps.find((s) => s.name === 'verify')!;
    expect(verify.detail).toContain('written to after its final dump');
    expect(verify.detail).toContain('smartsmoker.ratings');
    // The late write is on smokecloud, which serves again.
    const late = await asRoot(configFile, { environment: SMOKECLOUD }, (admin) => admin.client.db('smartsmoker').collection('ratings').countDocuments({ late: true }));
    expect(late).toBe(1);
    expect(healthOf(SMOKECLOUD)).toEqual(['/mongo healthy', '/backend_cloud healthy', '/frontend_cloud healthy']);
    await asRoot(configFile, { environment: SMOKECLOUD }, (admin) => admin.client.db('smartsmoker').collection('ratings').deleteMany({ late: true }));
  });

  describe('the migration, its worker SIGKILLed during the transfer', () => {
    let proc: WorkerProcess[] = [];
    afterAll(async () => {
      for (const p of proc) await p.kill('SIGKILL');
    });

    it('resumes on a new worker and finishes with exactly one restore and zero loss; the downtime is measured', async () => {
      const sourceBefore = await stateOfEnv(SMOKECLOUD);
      expect(sourceBefore.collections.find((c) => c.namespace === 'smartsmoker.temps')?.documents).toBe(seed.counts.temps);
      // A worker of its own, in a process that can be killed.
      const taskQueue = `${w.taskQueue}-kill`;
      const spawned = () => spawnWorker({ address: w.address, taskQueue, config: configFile }).then((p) => (proc.push(p), p));
      const first = await spawned();
      // ps sampled on both hosts throughout: no password may show in any process's arguments.
      for (const host of [SMOKECLOUD, TARGET] as LabHost[]) {
        onHost(host, 'rm -f /tmp/ps.log /tmp/ps.stop; (while [ ! -e /tmp/ps.stop ]; do ps -eo args >> /tmp/ps.log; done; rm -f /tmp/ps.stop) >/dev/null 2>&1 &');
      }
      const handle: WorkflowHandle = await w.client.workflow.start('migrate', { taskQueue, workflowId: migrateWorkflowId(SMOKECLOUD), args: [{ from: SMOKECLOUD, to: TARGET, requestedBy: 'lab', authorization: await signedMigration() }] });
      await untilActivityStarted(handle, 'transferArchive');
      await first.kill('SIGKILL');
      await spawned();
      const result = (await handle.result()) as MigrateResult;
      expect(result.outcome).toBe('migrated');
      const password = readFileSync(join(LAB_CACHE, 'lab/secrets/mongo-root-password'), 'utf8').trim();
      for (const [host, tool] of [[SMOKECLOUD, 'mongodump'], [TARGET, 'mongorestore']] as [LabHost, string][]) {
        onHost(host, 'touch /tmp/ps.stop; sleep 0.5');
        const local = join(mkdtempSync(join(tmpdir(), 'smokestack-ps-')), 'ps.log');
        execFileSync('docker', ['cp', `${hostContainer(host)}:/tmp/ps.log`, local]);
        const sampled = readFileSync(local, 'utf8');
        expect(sampled, `the sampler on ${host} saw ${tool}`).toContain(tool);
        expect(sampled.includes(password), `the password in a process's arguments on ${host}`).toBe(false);
      }

      // The transfer was cut and ran again; the restore ran once.
      const runs = await activityRuns(handle);
      const transfers = runs.filter((r) => r.type === 'transferArchive');
      expect(transfers.at(-1)!.attempt, 'the transfer was interrupted and retried').toBeGreaterThan(1);
      expect(runs.filter((r) => r.type === 'restoreArchive' && r.closedAs === 'completed')).toHaveLength(1);
      expect(runs.filter((r) => r.type === 'restoreArchive').every((r) => r.attempt === 1)).toBe(true);

      // Zero loss: prod-cloud holds exactly what smokecloud held, hash for hash, index for index.
      const target = await stateOfEnv(TARGET);
      expect(target).toEqual(sourceBefore);
      expect(target.collections.map((c) => c.documents).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100_000);
      // prod-cloud serves it, smokecloud's app stays stopped, its database and data kept.
      expect(healthOf(TARGET)).toEqual(['/mongo healthy', '/backend_cloud healthy', '/frontend_cloud healthy']);
      expect(onHost(SMOKECLOUD, "docker ps --format '{{.Names}}'").trim()).toBe('mongo');
      expect(await stateOfEnv(SMOKECLOUD)).toEqual(sourceBefore);
      expect(result.smoke?.newestId).toContain(String(seed.last.smokes!._id));
      expect(result.times.downtimeSeconds).toBeGreaterThan(0);
      expect(result.times.downtimeSeconds).toBeLessThan((result.times.upAt! - result.steps[0]!.startedAt!) / 1000);

      // Nothing the migrations wrote is readable by others, on hosts whose login umask is 000: the source's
      // final dump, the transfers (this one, and the dry run's on dev-cloud), the target's deploy and safety backup.
      const migrated = '/opt/smart-smoker-prod/backups/migrations/';
      expect(expectPrivateFiles(SMOKECLOUD, ['/opt/smart-smoker/backups']).some((p) => /\/backups\/scheduled\/[^/]+\.archive\.gz$/.test(p))).toBe(true);
      const onTarget = expectPrivateFiles(TARGET, ['.env', 'cloud.docker-compose.yml', 'smokestack.pins.yml', '.smokestack', 'backups'].map((f) => `/opt/smart-smoker-prod/${f}`));
      expect(onTarget.some((p) => p.startsWith(migrated) && p.endsWith('.archive.gz'))).toBe(true);
      expect(expectPrivateFiles(DRY_TARGET, ['/opt/smart-smoker-dev/backups']).some((p) => /\/backups\/migrations\/[^/]+\.archive\.gz$/.test(p))).toBe(true);
      const ended = await labDiscordMessages((m) => m.title.includes('maintenance ended') && m.title.includes('smokecloud'));
      expect(ended.length).toBeGreaterThan(0);

      // Status shows the run and the countdown; the reminder arrives when it is due, and deletes nothing.
      const status = await runCli(['-c', configFile, 'migrate', 'status', '--from', SMOKECLOUD], cliEnv);
      expect(status.stdout).toContain('migration of smokecloud: completed');
      expect(status.stdout).toMatch(/downtime: \d/);
      expect(status.stdout).toMatch(/keep smokecloud: (\d+ s left|the reminder was sent)/);
      const reminder = await waitFor(() => labDiscordMessages((m) => m.title.includes('smokecloud can be decommissioned')), 90_000);
      expect(reminder.length).toBeGreaterThan(0);
      expect(onHost(SMOKECLOUD, "docker ps -a --format '{{.Names}}'").trim()).toContain('mongo');
    });

    it('a second migration is refused once one has completed; --force is required', async () => {
      const again = await migrateCli('--to', TARGET, '--yes', '--wait', ...SIGN_AS_BOB);
      expect(again.code).toBe(2);
      expect(again.stdout).toContain('already migrated');
      expect(again.stdout).toContain('--force');
      const runs = await w.client.workflow.list({ query: `WorkflowId = '${migrateWorkflowId(SMOKECLOUD)}'` });
      let completed = 0;
      for await (const r of runs) if (r.status.name === 'COMPLETED') completed++;
      expect(completed).toBe(1);
    });
  });
});

/** Polls the run until an activity of `type` is started by a worker (not just scheduled). */
async function untilActivityStarted(handle: WorkflowHandle, type: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const desc = await handle.describe();
    if (desc.status.name !== 'RUNNING') throw new Error(`the migration ended (${desc.status.name}) before ${type} was seen running`);
    const pending = desc.raw.pendingActivities ?? [];
    if (pending.some((a) => a.activityType?.name === type && String(a.state) !== '1' && a.state !== ('PENDING_ACTIVITY_STATE_SCHEDULED' as never))) return;
    const progress = await handle.query(migrationProgressQuery).catch(() => undefined);
    if (progress?.steps.find((s) => s.name === 'verify')?.state === 'running') throw new Error(`${type} ended before it was seen running`);
    await sleep(20);
  }
  throw new Error(`${type} never started`);
}

async function waitFor<T extends unknown[]>(get: () => Promise<T>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await get();
    if (got.length > 0 || Date.now() > until) return got;
    await sleep(2000);
  }
}
