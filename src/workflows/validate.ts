// The validation runbook: a backup is worth what a restore of it gives.
// Both copies are hashed again; the backup is restored into a scratch
// database on its host (never the live one) and read back; counts, content
// hashes and indexes must equal its manifest's. The verdict is written into
// the manifest in both places (rotation never deletes the newest validated
// backup), and a failure is said on Discord.
import { setHandler, workflowInfo } from '@temporalio/workflow';
import { heavyActivities, quickActivities, summarized as call } from './activity-options.ts';
import { differencesFrom } from './database-state.ts';
import { withEnvironmentLock } from './environment-lock.ts';
import { validationProgressQuery } from './definitions.ts';
import { failure, failureTypeOf, messageOf } from './failures.ts';
import { Notices } from './notifier.ts';
import { Runbook } from './runbook.ts';
import type { BackupManifest, BackupPlan, CopyCheck, DatabaseState, Notice, ValidateInput, ValidationResult } from './types.ts';

const VALIDATE_STEPS = ['plan', 'check copies', 'restore into scratch', 'compare', 'record'] as const;

/** Failures that condemn the backup; any other (a host off, a timeout) means it could not be validated now, not that it is bad. */
const BACKUP_AT_FAULT = new Set(['BackupCorrupt', 'BackupCopyCorrupt']);

const quick = quickActivities();
const heavy = heavyActivities();

/**
 * Under the environment's lock, as backups and restores are: rotation must
 * not delete the archive being restored, and the scratch database must not
 * compete with a deploy or a dump for the host.
 */
export function validateBackup(input: ValidateInput): Promise<ValidationResult> {
  const purpose = `validate ${input.backupId ?? 'the newest backup'}${input.requestedBy ? `, requested by ${input.requestedBy}` : ''}`;
  return withEnvironmentLock(input.environment, purpose, () => validateUnderLock(input));
}

async function validateUnderLock(input: ValidateInput): Promise<ValidationResult> {
  const runbook = new Runbook(VALIDATE_STEPS);
  const notices = new Notices(`validate ${input.environment}`);
  let chosen: BackupManifest | undefined;
  setHandler(validationProgressQuery, () => ({ environment: input.environment, backupId: chosen?.id, steps: runbook.snapshot() }));
  const { workflowId, runId } = workflowInfo();
  const notify = (kind: Notice['kind'], version: string, extra: Partial<Notice>) =>
    notices.send({ kind, environment: input.environment, version, run: { workflowId, runId }, requestedBy: input.requestedBy, ...extra });

  let plan: BackupPlan | undefined;
  try {
    plan = await runbook.step('plan', () => call(quick.planBackup, `plan the validation of ${input.environment}'s backups`, { environment: input.environment }), (p) => `${p.host.host}, store ${p.storeDir}`);
    const p = plan;
    chosen = await call(quick.chooseBackup, `choose the backup of ${input.environment}`, p, input.backupId);
    const backup = chosen;
    const copies = await runbook.step('check copies', () => call(heavy.checkCopies, `hash both copies of ${backup.archive}`, p, backup), describeCopies);
    const problems = copies.filter((c) => c.state === 'differs').map((c) => `the ${c.copy} copy's archive has sha256 ${c.sha256?.slice(0, 12)}, the manifest's ${backup.sha256.slice(0, 12)}`);
    let state: DatabaseState | undefined;
    if (!copies.some((c) => c.state === 'ok')) {
      problems.push('no copy of the archive matches its manifest: it cannot be restored');
      runbook.skip('restore into scratch', 'no sound copy to restore');
    } else {
      try {
        state = await runbook.step('restore into scratch', () => call(heavy.restoreIntoScratch, `restore ${backup.archive} into a scratch database`, p, backup), describeState);
      } catch (err) {
        if (!BACKUP_AT_FAULT.has(failureTypeOf(err) ?? '')) throw err;
        problems.push(messageOf(err));
      }
    }
    await runbook.step('compare', async () => {
      if (state) problems.push(...differencesFrom(backup, state));
      if (!backup.content) problems.push('the manifest has no content hashes (taken before backups read their archives): counts and indexes compared only');
    }, () => (problems.length === 0 ? 'counts, content hashes and indexes as in the manifest' : problems.join('; ')));
    // A manifest without content hashes can still pass on counts and indexes, but says so.
    const failed = problems.filter((x) => !x.startsWith('the manifest has no content hashes'));
    const ok = failed.length === 0;
    const validated = { ...backup, validated: { at: Date.now(), ok, detail: ok ? describeState(state!) : failed.join('; '), run: { workflowId, runId } } };
    await runbook.step('record', () => call(quick.saveManifest, `record the verdict in ${backup.id}'s manifest`, p, validated), () => (ok ? 'validated' : 'FAILED'));
    const result = { environment: input.environment, backup: validated, ok, copies, problems, steps: runbook.snapshot() };
    if (ok) {
      await notices.handedOver();
      return result;
    }
    notify('validation-failed', backup.id, { reason: failed.join('; ') });
    await notices.handedOver();
    // Failed, not completed: the Web UI and the schedule's history show it red.
    throw failure('BackupInvalid', `backup ${backup.id} of ${input.environment} FAILED validation: ${failed.join('; ')}`, result);
  } catch (err) {
    if (failureTypeOf(err) === 'BackupInvalid') throw err;
    runbook.skipPending('the validation could not run');
    if (plan) notify('validation-failed', chosen?.id ?? 'no backup', { reason: `could not validate: ${messageOf(err)}` });
    await notices.handedOver();
    throw err;
  }
}

const describeCopies = (copies: CopyCheck[]): string => copies.map((c) => `${c.copy}: ${c.state}`).join(', ');

const describeState = (s: DatabaseState): string =>
  `restored into a scratch database: ${s.collections.length} collection(s), ${s.collections.reduce((n, c) => n + c.documents, 0)} document(s)`;
