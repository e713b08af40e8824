// A deploy and a backup of the same environment (prod-cloud) take turns:
// the environment lock keeps the backup's dump away from the deploy's
// changes to the host, whichever asked first. Judged from the two runs'
// histories (when the server recorded each activity), not from the runs'
// own word, and from what the CLI printed while one of them waited.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { progressQuery } from '../../src/workflows/definitions.ts';
import type { DeployResult } from '../../src/workflows/types.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { activityRuns, only, type ActivityRun } from '../support/history.ts';
import { resetHost } from '../support/lab.ts';
import { deployInput, SIGN_AS_BOB } from '../support/signing.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const ENV = 'prod-cloud';
/** The deploy's steps on the host that run under the lock: every change, its undo, and the health gates. */
const DEPLOY_HOST_STEPS = new Set(['captureRollbackPoint', 'backupDatabase', 'holdServices', 'uploadStack', 'pullImages', 'startStack', 'healthGate', 'releaseServices', 'restoreRollbackPoint']);

let w: TestWorker;
let configFile: string;

beforeAll(async () => {
  resetHost(ENV);
  const store = mkdtempSync(join(tmpdir(), 'smokestack-store-'));
  configFile = labConfigWith((c) => (c.backups = { store, timeZone: 'UTC' }));
  w = await startWorker(configFile);
  // A running database, for the backups to dump.
  const deployed = await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: `deploy-${ENV}`, args: [await deployInput({ environment: ENV, version: 'v1' })] });
  expect((deployed as DeployResult).outcome).toBe('succeeded');
}, 300_000);
afterAll(async () => {
  await w?.stop();
});

const cli = (args: string[]): Promise<CliRun> =>
  runCli(args, { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue, SMOKESTACK_CONFIG: configFile, GITHUB_ACTOR: 'alice' });

/** From the first activity `pick` chooses to be scheduled, to the last to close. */
function span(runs: ActivityRun[], pick: (r: ActivityRun) => boolean): { from: number; to: number } {
  const picked = runs.filter(pick);
  expect(picked.length, 'activities to span').toBeGreaterThan(0);
  expect(picked.every((r) => r.closedAt !== undefined)).toBe(true);
  return { from: Math.min(...picked.map((r) => r.scheduledAt)), to: Math.max(...picked.map((r) => r.closedAt!)) };
}

const apart = (a: { from: number; to: number }, b: { from: number; to: number }) => a.to <= b.from || b.to <= a.from;

/** The last runs of the deploy and of the backup, read from their histories. */
async function histories() {
  const deploy = await activityRuns(w.client.workflow.getHandle(`deploy-${ENV}`));
  const backup = await activityRuns(w.client.workflow.getHandle(`database-${ENV}`));
  return {
    deployHost: span(deploy, (r) => DEPLOY_HOST_STEPS.has(r.type)),
    // Every step of the backup, but its asking for the lock, runs under the lock.
    backupAll: span(backup, (r) => r.type !== 'requestEnvironmentLock'),
    dump: only(backup, 'takeBackup'),
  };
}

it('a backup asked for while a deploy changes prod-cloud waits for it, says for whom, and dumps only once the deploy is done', async () => {
  const deploying = cli(['deploy', ENV, '--version', 'v2', '--wait', ...SIGN_AS_BOB]);
  // Once the deploy holds the lock (its `lock` step done), it is changing the host for the next half minute.
  for (let i = 0; ; i++) {
    const progress = await w.client.workflow.getHandle(`deploy-${ENV}`).query(progressQuery).catch(() => undefined);
    if (progress?.version === 'v2' && progress.steps.find((s) => s.name === 'lock')?.state === 'succeeded') break;
    if (i > 600) throw new Error(`the deploy never took the lock: ${JSON.stringify(progress?.steps)}`);
    await sleep(100);
  }
  const backingUp = cli(['backup', ENV, '--wait']);
  const [deployed, backedUp] = await Promise.all([deploying, backingUp]);

  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
  expect(backedUp.code, backedUp.stdout + backedUp.stderr).toBe(0);

  const { deployHost, backupAll, dump } = await histories();
  // The dump began after the deploy's last step on the host had ended: so did everything else of the backup.
  expect(dump.scheduledAt).toBeGreaterThanOrEqual(deployHost.to);
  expect(backupAll.from).toBeGreaterThanOrEqual(deployHost.to);
  // And while it waited, the CLI said for whom, then how long it had waited.
  expect(backedUp.stdout).toMatch(new RegExp(`… lock {2}waiting: ${ENV} is locked by deploy v2, requested by alice \\(deploy-${ENV}, since [\\dT:-]+Z\\)`));
  expect(backedUp.stdout).toMatch(new RegExp(`✓ lock {2}${ENV} locked for this run, after waiting \\d+s behind deploy v2, requested by alice \\(deploy-${ENV}\\)`));
});

it('a deploy and a backup of prod-cloud started at once take turns, and both succeed', async () => {
  const [deployed, backedUp] = await Promise.all([cli(['deploy', ENV, '--version', 'v1', '--wait', ...SIGN_AS_BOB]), cli(['backup', ENV, '--wait'])]);
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
  expect(backedUp.code, backedUp.stdout + backedUp.stderr).toBe(0);

  const { deployHost, backupAll, dump } = await histories();
  expect(apart({ from: dump.scheduledAt, to: dump.closedAt! }, deployHost), JSON.stringify({ dump, deployHost })).toBe(true);
  expect(apart(backupAll, deployHost), JSON.stringify({ backupAll, deployHost })).toBe(true);
});
