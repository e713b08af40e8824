// The restore runbook. Nothing live changes until the archive on the host
// matches its manifest and a safety backup of the live database is safe in
// both places. Then the app stops, the databases are replaced by the
// backup's and read back; the app starts and must pass its health gate.
// If any of that fails, the safety backup goes back the same way.
import { CancellationScope, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { quickActivities, summarized as call } from './activity-options.ts';
import { backupIdAt } from './backup.ts';
import { Compensation } from './compensation.ts';
import { restoreProgressQuery } from './definitions.ts';
import { failure, failureTypeOf, messageOf, NOT_WORTH_RETRYING, type FailureType } from './failures.ts';
import { Notices } from './notifier.ts';
import { Runbook } from './runbook.ts';
import { DUMP_TIMEOUT_SECONDS } from './timeouts.ts';
import type { BackupManifest, BackupPlan, DatabaseState, DeployPlan, Notice, RestoreInput, RestoreResult, ServiceImage } from './types.ts';

const RESTORE_STEPS = ['plan', 'check archive', 'safety backup', 'stop app', 'restore', 'verify', 'start app', 'health gate'] as const;

const quick = quickActivities();
const heavy = proxyActivities<Activities>({
  startToCloseTimeout: `${DUMP_TIMEOUT_SECONDS + 60}s`,
  heartbeatTimeout: '60s',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 4, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

export async function restore(input: RestoreInput): Promise<RestoreResult> {
  const runbook = new Runbook(RESTORE_STEPS);
  const undo = new Compensation(runbook);
  const notices = new Notices(`restore ${input.environment}`);
  setHandler(restoreProgressQuery, () => ({ environment: input.environment, backupId: chosen?.id, steps: runbook.snapshot() }));
  const { workflowId, runId } = workflowInfo();
  const notify = (kind: Notice['kind'], version: string, extra: Partial<Notice> = {}) =>
    notices.send({ kind, environment: input.environment, version, run: { workflowId, runId }, requestedBy: input.requestedBy, ...extra });
  let chosen: BackupManifest | undefined;

  try {
    const { plan, stack, running } = await runbook.step('plan', () => planRestore(input), ({ plan }) => `${plan.host.host}, app: ${plan.appContainers.join(', ') || 'none'}`);
    chosen = await call(quick.chooseBackup, `choose the backup of ${input.environment}`, plan, input.backupId);
    const backup = chosen;
    const archive = await runbook.step('check archive', () => call(heavy.stageArchive, `check ${backup.archive} on the host`, plan, backup), (path) => `${path}: sha256 ${backup.sha256.slice(0, 12)} as in its manifest`);
    const safety = await runbook.step('safety backup', () => safetyBackup(plan), (m) => `${m.id} (${m.bytes} bytes), on the host and in the store`);
    notify('restore-started', backup.id, { details: `safety backup ${safety.id} taken` });

    undo.add(['start app', 'health gate'], async () => {
      await call(quick.startApp, 'start the app again', plan);
      await call(heavy.healthGate, 'health gate after the safety restore', stack, running);
    });
    await runbook.step('stop app', () => call(quick.stopApp, `stop ${plan.appContainers.join(', ')}`, plan));
    // Registered before the drop: a restore that fails halfway leaves half a database.
    undo.add(['restore the safety backup'], () => putBack(plan, safety));
    await runbook.step('restore', () => call(heavy.restoreArchive, `mongorestore ${backup.archive}`, plan, archive, backup), () => `${backup.archive} over the live databases`);
    const state = await runbook.step('verify', () => verify(plan, backup), describeState);
    await runbook.step('start app', () => call(quick.startApp, `start ${plan.appContainers.join(', ')}`, plan));
    await runbook.step('health gate', () => call(heavy.healthGate, 'health gate', stack, running), (s) => s.map((x) => x.service).join(', ') + ' healthy');
    undo.clear();
    notify('restored', backup.id, { details: describeState(state) });
    await notices.handedOver();
    return { environment: input.environment, restored: backup, safety, state, steps: runbook.snapshot() };
  } catch (err) {
    const reason = messageOf(err);
    const changed = !undo.isEmpty;
    const undone = !changed || (await CancellationScope.nonCancellable(() => undo.run().then(() => true, () => false)));
    runbook.skipPending('the restore failed');
    const details = changed ? 'The safety backup taken just before was put back, and the app passed its health gate.' : 'Nothing was changed: the restore stopped before the app was stopped.';
    if (chosen) notify(undone ? 'restore-failed' : 'restore-undo-failed', chosen.id, { reason, details });
    await CancellationScope.nonCancellable(() => notices.handedOver());
    const result = { environment: input.environment, restored: chosen, steps: runbook.snapshot() };
    // Refused before any change: the cause's own type, so the CLI says "refused" (exit 2) when it is one.
    if (!changed) throw failure((failureTypeOf(err) as FailureType | undefined) ?? 'DatabaseRestoreFailed', `restore refused, nothing changed: ${reason}`, result);
    throw failure(undone ? 'DatabaseRestoreFailed' : 'RollbackFailed', undone ? `restore failed, the database is as it was before: ${reason}` : `restore failed AND putting the safety backup back failed: ${reason}`, result);
  }
}

async function planRestore(input: RestoreInput): Promise<{ plan: BackupPlan; stack: DeployPlan; running: ServiceImage[] }> {
  const plan = await call(quick.planBackup, `plan the restore of ${input.environment}`, { environment: input.environment });
  // The stack as deployed, for its health gate afterwards: the images running now.
  const stack = await call(quick.planDeploy, `read ${input.environment}'s stack`, { environment: input.environment, version: 'restore' });
  const running = await call(quick.inspectRunning, `what runs on ${input.environment}`, stack);
  if (!running.healthy) throw failure('CurrentVersionUnhealthy', `${input.environment} is not healthy now (${running.problems ?? 'unknown'}): fix it before restoring, or the health gate cannot tell`);
  return { plan, stack, running: running.images };
}

async function safetyBackup(plan: BackupPlan): Promise<BackupManifest> {
  const manifest = await call(heavy.takeBackup, 'dump the live database', plan, `${backupIdAt(Date.now())}-safety`, 'safety');
  await call(heavy.copyOffHost, `copy ${manifest.archive} to the store`, plan, manifest);
  return manifest;
}

async function putBack(plan: BackupPlan, safety: BackupManifest): Promise<void> {
  const archive = await call(heavy.stageArchive, `check ${safety.archive} on the host`, plan, safety);
  await call(heavy.restoreArchive, `mongorestore ${safety.archive} (the safety backup)`, plan, archive, safety);
  await verify(plan, safety);
}

/** The databases read back must hold what mongodump wrote into the archive, collection by collection. */
async function verify(plan: BackupPlan, backup: BackupManifest): Promise<DatabaseState> {
  const state = await call(quick.databaseState, 'read the database back', plan);
  const expected = backup.collections.filter((c) => !['admin', 'config', 'local'].includes(c.namespace.split('.')[0]!));
  const found = new Map(state.collections.map((c) => [c.namespace, c.documents]));
  const differences = [
    ...expected.filter((c) => found.get(c.namespace) !== c.documents).map((c) => `${c.namespace}: ${found.get(c.namespace) ?? 'missing'} documents, backup has ${c.documents}`),
    ...state.collections.filter((c) => c.documents > 0 && !expected.some((e) => e.namespace === c.namespace)).map((c) => `${c.namespace}: not in the backup`),
  ];
  if (differences.length > 0) throw failure('RestoreVerifyFailed', `the restored database differs from backup ${backup.id}: ${differences.join('; ')}`);
  return state;
}

const describeState = (s: DatabaseState): string =>
  `${s.collections.length} collection(s), ${s.collections.reduce((n, c) => n + c.documents, 0)} document(s), counts as in the backup`;
