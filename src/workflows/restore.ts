// The restore runbook. Nothing live changes until the archive on the host
// matches its manifest and a safety backup of the live database is safe in
// both places. Then the app stops, the databases are replaced by the
// backup's and read back; the app starts and must pass its health gate.
// If any of that fails, the safety backup goes back the same way.
import { CancellationScope, setHandler, workflowInfo } from '@temporalio/workflow';
import { heavyActivities, quickActivities, summarized as call } from './activity-options.ts';
import { backupIdAt } from './backup.ts';
import { Compensation } from './compensation.ts';
import { differencesFrom } from './database-state.ts';
import { restoreProgressQuery } from './definitions.ts';
import { withEnvironmentLock } from './environment-lock.ts';
import { failure, failureTypeOf, messageOf, type FailureType } from './failures.ts';
import { restorePurpose } from './lock-report.ts';
import { Notices } from './notifier.ts';
import { Runbook } from './runbook.ts';
import { planStackGate, type StackGate } from './stack-gate.ts';
import type { BackupManifest, BackupPlan, DatabaseState, Notice, RestoreInput, RestoreResult } from './types.ts';

const RESTORE_STEPS = ['plan', 'check archive', 'safety backup', 'stop app', 'restore', 'verify', 'start app', 'health gate'] as const;

const quick = quickActivities();
const heavy = heavyActivities();

export async function restore(input: RestoreInput): Promise<RestoreResult> {
  // The environment's lock, shared with deploys and backups, from the plan on:
  // the images it reads as running are still the ones running when it gates the app.
  return withEnvironmentLock(input.environment, restorePurpose(input), () => restoreUnderLock(input));
}

async function restoreUnderLock(input: RestoreInput): Promise<RestoreResult> {
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
    return { environment: input.environment, restored: backup, safety, state, steps: runbook.snapshot(), ...(plan.authority ? { authority: plan.authority } : {}) };
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

async function planRestore(input: RestoreInput): Promise<{ plan: BackupPlan } & StackGate> {
  const change = { target: { action: 'restore' as const, environment: input.environment, backupId: input.backupId }, authorization: input.authorization };
  const plan = await call(quick.planBackup, `plan the restore of ${input.environment}`, { environment: input.environment }, change);
  return { plan, ...(await planStackGate(input.environment, 'restore')) };
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

/** The databases read back must hold what the archive holds: counts, content hashes and indexes, collection by collection. */
async function verify(plan: BackupPlan, backup: BackupManifest): Promise<DatabaseState> {
  const state = await call(quick.databaseState, 'read the database back', plan);
  const differences = differencesFrom(backup, state);
  if (differences.length > 0) throw failure('RestoreVerifyFailed', `the restored database differs from backup ${backup.id}: ${differences.join('; ')}`);
  return state;
}

const describeState = (s: DatabaseState): string =>
  `${s.collections.length} collection(s), ${s.collections.reduce((n, c) => n + c.documents, 0)} document(s), counts, content and indexes as in the backup`;
