// The backup runbook: a dump on the database's host, a second copy off the
// host, then rotation of both copies, then a notice. Nothing here deletes a
// backup that rotation did not choose, and rotation runs only after the new
// backup is safe in both places.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { quickActivities, summarized as call } from './activity-options.ts';
import { backupProgressQuery } from './definitions.ts';
import { messageOf, NOT_WORTH_RETRYING } from './failures.ts';
import { Notices } from './notifier.ts';
import { rotate } from './rotation.ts';
import { Runbook } from './runbook.ts';
import { DUMP_TIMEOUT_SECONDS } from './timeouts.ts';
import type { BackupCopy, BackupInput, BackupListing, BackupManifest, BackupPlan, BackupResult, Notice, RotationReport } from './types.ts';

const BACKUP_STEPS = ['plan', 'dump', 'copy off host', 'rotate'] as const;

const quick = quickActivities();
/** The dump and the copy move the whole database: budgeted as a dump, alive by heartbeat. */
const heavy = proxyActivities<Activities>({
  startToCloseTimeout: `${DUMP_TIMEOUT_SECONDS + 60}s`,
  heartbeatTimeout: '60s',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 4, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

/** A backup's id: the workflow clock's time, sortable and safe in a file name. */
export const backupIdAt = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

export async function backup(input: BackupInput): Promise<BackupResult> {
  const runbook = new Runbook(BACKUP_STEPS);
  const notices = new Notices(`backup ${input.environment}`);
  const id = backupIdAt(Date.now());
  setHandler(backupProgressQuery, () => ({ environment: input.environment, id, steps: runbook.snapshot() }));
  const { workflowId, runId } = workflowInfo();
  const notify = (kind: Notice['kind'], extra: Partial<Notice>) =>
    notices.send({ kind, environment: input.environment, version: id, run: { workflowId, runId }, requestedBy: input.requestedBy, ...extra });

  let plan: BackupPlan | undefined;
  try {
    plan = await runbook.step('plan', () => call(quick.planBackup, `plan the backup of ${input.environment}`, input), (p) => `${p.host.host}:${p.hostDir}, copy to ${p.storeDir}`);
    const p = plan;
    const manifest = await runbook.step('dump', () => call(heavy.takeBackup, `mongodump ${p.container} on ${p.host.host}`, p, id, input.trigger ?? 'manual'), describeManifest);
    const storePath = await runbook.step('copy off host', () => call(heavy.copyOffHost, `copy ${manifest.archive} to the store`, p, manifest), (path) => `${path}, sha256 checked at both ends`);
    const rotation = await runbook.step('rotate', () => rotateBoth(p), (r) => r.map(describeRotation).join('; '));
    notify('backed-up', { details: `${describeManifest(manifest)}\n${rotation.map(describeRotation).join('\n')}` });
    await notices.handedOver();
    return { environment: input.environment, manifest, hostPath: `${p.hostDir}/${manifest.archive}`, storePath, rotation, steps: runbook.snapshot() };
  } catch (err) {
    runbook.skipPending('the backup failed');
    // Refused before anything ran (bad input or config): the caller says so, not Discord.
    if (plan) notify('backup-failed', { reason: messageOf(err) });
    await notices.handedOver();
    throw err;
  }
}

/** Each copy is rotated on its own listing: a backup missing in one place is not deleted from the other. */
async function rotateBoth(plan: BackupPlan): Promise<RotationReport[]> {
  const reports: RotationReport[] = [];
  for (const copy of ['host', 'store'] as BackupCopy[]) {
    const listed = await call(quick.listBackups, `list the ${copy} copy's backups`, plan, copy);
    const policy = { keepDaily: plan.keep.daily, keepWeekly: plan.keep.weekly, keepMonthly: plan.keep.monthly, timeZone: plan.timeZone };
    const decision = rotate(listed.map((m) => ({ id: m.id, takenAt: m.takenAt, validated: m.validated?.ok })), policy, Date.now());
    if (decision.remove.length > 0) await call(quick.removeBackups, `remove ${decision.remove.length} backup(s) from the ${copy} copy`, plan, copy, decision.remove);
    reports.push({ copy, kept: decision.keep.length, removed: decision.remove, held: decision.held });
  }
  return reports;
}

function describeManifest(m: BackupManifest): string {
  const documents = m.collections.reduce((n, c) => n + c.documents, 0);
  return `${m.archive}: ${(m.bytes / 2 ** 20).toFixed(1)} MiB, ${m.collections.length} collection(s), ${documents} document(s), sha256 ${m.sha256.slice(0, 12)}`;
}

const describeRotation = (r: RotationReport): string =>
  r.held ? `${r.copy}: kept all ${r.kept} (${r.held})` : `${r.copy}: kept ${r.kept}, removed ${r.removed.length}${r.removed.length ? ` (${r.removed.join(', ')})` : ''}`;

/** What `smokestack backups ENV` lists: both copies, merged, with the rule that keeps each. */
export async function backupInventory(input: BackupInput): Promise<BackupListing> {
  const plan = await call(quick.planBackup, `plan the listing of ${input.environment}'s backups`, input);
  const [onHost, inStore] = await Promise.all((['host', 'store'] as BackupCopy[]).map((copy) => call(quick.listBackups, `list the ${copy} copy's backups`, plan, copy)));
  const byId = new Map<string, BackupListing['backups'][number]>();
  for (const [copy, manifests] of [['host', onHost!], ['store', inStore!]] as const) {
    for (const m of manifests) {
      const row = byId.get(m.id) ?? { manifest: m, copies: [], keptBy: [] };
      row.copies.push(copy);
      // The newer word on validation wins (a validation updates the store's manifest first).
      if (m.validated && (!row.manifest.validated || m.validated.at > row.manifest.validated.at)) row.manifest = m;
      byId.set(m.id, row);
    }
  }
  const backups = [...byId.values()].sort((a, b) => b.manifest.takenAt - a.manifest.takenAt);
  const policy = { keepDaily: plan.keep.daily, keepWeekly: plan.keep.weekly, keepMonthly: plan.keep.monthly, timeZone: plan.timeZone };
  const decision = rotate(backups.map(({ manifest: m }) => ({ id: m.id, takenAt: m.takenAt, validated: m.validated?.ok })), policy, Date.now());
  for (const { id, reasons } of decision.keep) byId.get(id)!.keptBy = reasons;
  return { environment: input.environment, now: Date.now(), backups, held: decision.held };
}
