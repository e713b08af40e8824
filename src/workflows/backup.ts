// The backup runbook: a dump on the database's host, a second copy off the
// host, the archive read through, then rotation of both copies, then a
// notice. Nothing here deletes a backup that rotation did not choose, and
// rotation runs only after the new backup is safe in both places.
//
// `consistency: quiesce` stops the app around the dump, so that no write
// lands between two collections' dumps; the app is started again (and must
// pass its health gate) whether the dump worked or not.
import { CancellationScope, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { heavyActivities, quickActivities, summarized as call } from './activity-options.ts';
import { backupIdAt } from './backup-id.ts';
import { backupProgressQuery } from './definitions.ts';
import { withEnvironmentLock } from './environment-lock.ts';
import { backupPurpose } from './lock-report.ts';
import { messageOf } from './failures.ts';
import { Notices } from './notifier.ts';
import { rotate, vouchedByStore, type RetentionPolicy, type RotationCandidate } from './rotation.ts';
import { Runbook } from './runbook.ts';
import { planStackGate } from './stack-gate.ts';
import type { BackupCopies, BackupCopy, BackupInput, BackupListing, BackupManifest, BackupPlan, BackupResult, Notice, RotationReport } from './types.ts';

const BACKUP_STEPS = ['plan', 'stop app', 'dump', 'start app', 'health gate', 'copy off host', 'read archive', 'rotate'] as const;

const quick = quickActivities();
const heavy = heavyActivities();

export { backupIdAt } from './backup-id.ts';

/**
 * Rotation and `backups ENV` list both copies in one step and trust the
 * store: a backup on the host alone is never counted (manifests from a host
 * are input). Runs recorded before it replay the two listings they made.
 */
const STORE_VOUCHES = 'store-vouches-for-host-backups';

export async function backup(input: BackupInput): Promise<BackupResult> {
  // The environment's lock, shared with deploys and restores: nothing else changes the host meanwhile.
  return withEnvironmentLock(input.environment, backupPurpose(input), () => backupUnderLock(input));
}

async function backupUnderLock(input: BackupInput): Promise<BackupResult> {
  const runbook = new Runbook(BACKUP_STEPS);
  const notices = new Notices(`backup ${input.environment}`);
  const id = backupIdAt(Date.now());
  setHandler(backupProgressQuery, () => ({ environment: input.environment, id, steps: runbook.snapshot() }));
  const { workflowId, runId } = workflowInfo();
  const notify = (kind: Notice['kind'], extra: Partial<Notice>) =>
    notices.send({ kind, environment: input.environment, version: id, run: { workflowId, runId }, requestedBy: input.requestedBy, ...extra });

  let plan: BackupPlan | undefined;
  try {
    plan = await runbook.step('plan', () => call(quick.planBackup, `plan the backup of ${input.environment}`, input), (p) => `${p.host.host}:${p.hostDir}, copy to ${p.storeDir}, ${p.consistency}`);
    const p = plan;
    const dumped = await dump(runbook, p, id, input.trigger ?? 'manual');
    const storePath = await runbook.step('copy off host', () => call(heavy.copyOffHost, `copy ${dumped.archive} to the store`, p, dumped), (path) => `${path}, sha256 checked at both ends`);
    const manifest = await runbook.step('read archive', () => call(heavy.inspectArchive, `read ${dumped.archive} through`, p, dumped), describeContent);
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

/** The dump; in quiesce mode between stopping the app and starting it again, health-gated. */
async function dump(runbook: Runbook, plan: BackupPlan, id: string, trigger: BackupManifest['trigger']): Promise<BackupManifest> {
  const take = () => runbook.step('dump', () => call(heavy.takeBackup, `mongodump ${plan.container} on ${plan.host.host}`, plan, id, trigger), describeManifest);
  const quiesce = plan.consistency === 'quiesce' && plan.appContainers.length > 0;
  if (!quiesce) {
    const why = plan.consistency === 'quiesce' ? 'no app containers to stop' : 'online backup: the app keeps running';
    for (const step of ['stop app', 'start app', 'health gate']) runbook.skip(step, why);
    return take();
  }
  // The health gate needs the images running now, read before anything stops.
  const gate = await planStackGate(plan.environment, 'backup');
  await runbook.step('stop app', () => call(quick.stopApp, `stop ${plan.appContainers.join(', ')}`, plan));
  let manifest: BackupManifest | undefined;
  let failed: unknown;
  try {
    manifest = await take();
  } catch (err) {
    failed = err;
  }
  // Whatever the dump did, the app comes back: a backup must not become an outage.
  await CancellationScope.nonCancellable(async () => {
    await runbook.step('start app', () => call(quick.startApp, `start ${plan.appContainers.join(', ')}`, plan));
    await runbook.step('health gate', () => call(heavy.healthGate, 'health gate', gate.stack, gate.running), (s) => s.map((x) => x.service).join(', ') + ' healthy');
  });
  if (failed !== undefined) throw failed;
  return manifest!;
}

const retentionOf = (plan: BackupPlan): RetentionPolicy => ({ keepDaily: plan.keep.daily, keepWeekly: plan.keep.weekly, keepMonthly: plan.keep.monthly, timeZone: plan.timeZone });

const candidateOf = (m: BackupManifest): RotationCandidate => ({ id: m.id, takenAt: m.takenAt, validated: m.validated?.ok });

/**
 * Each copy is rotated on its own listing: a backup missing in one place is
 * not deleted from the other. The host's backups are placed by the store's
 * manifests, and one the store has no copy of is left alone and reported.
 */
async function rotateBoth(plan: BackupPlan): Promise<RotationReport[]> {
  if (!patched(STORE_VOUCHES)) return rotateEachAsItSaysItself(plan);
  const listed = await call(quick.listBackupCopies, "list both copies' backups", plan);
  const now = Date.now();
  const inStore = listed.store.map(candidateOf);
  const { candidates, hostOnly } = vouchedByStore(listed.host, inStore);
  const reports: RotationReport[] = [];
  for (const [copy, here] of [['host', candidates], ['store', inStore]] as const) {
    const decision = rotate(here, retentionOf(plan), now);
    if (decision.remove.length > 0) await call(quick.removeBackups, `remove ${decision.remove.length} backup(s) from the ${copy} copy`, plan, copy, decision.remove);
    const refused = listed.refused.filter((r) => r.copy === copy).map((r) => `${r.name}: ${r.why}`);
    reports.push({
      copy,
      kept: decision.keep.length,
      removed: decision.remove,
      held: decision.held,
      ...(copy === 'host' && hostOnly.length > 0 ? { hostOnly } : {}),
      ...(refused.length > 0 ? { refused } : {}),
    });
  }
  return reports;
}

/** Before STORE_VOUCHES: each copy rotated on its own manifests, the host's as the host wrote them. */
async function rotateEachAsItSaysItself(plan: BackupPlan): Promise<RotationReport[]> {
  const reports: RotationReport[] = [];
  for (const copy of ['host', 'store'] as BackupCopy[]) {
    const listed = await call(quick.listBackups, `list the ${copy} copy's backups`, plan, copy);
    const decision = rotate(listed.map((m) => ({ id: m.id, takenAt: m.takenAt, validated: m.validated?.ok })), retentionOf(plan), Date.now());
    if (decision.remove.length > 0) await call(quick.removeBackups, `remove ${decision.remove.length} backup(s) from the ${copy} copy`, plan, copy, decision.remove);
    reports.push({ copy, kept: decision.keep.length, removed: decision.remove, held: decision.held });
  }
  return reports;
}

const describeContent = (m: BackupManifest): string =>
  `${m.content?.collections.length ?? 0} collection(s) as mongodump said, from server ${m.content?.serverVersion ?? 'unknown'}; content hashes recorded`;

function describeManifest(m: BackupManifest): string {
  const documents = m.collections.reduce((n, c) => n + c.documents, 0);
  return `${m.archive}: ${(m.bytes / 2 ** 20).toFixed(1)} MiB, ${m.collections.length} collection(s), ${documents} document(s), sha256 ${m.sha256.slice(0, 12)}`;
}

const describeRotation = (r: RotationReport): string =>
  (r.held ? `${r.copy}: kept all ${r.kept} (${r.held})` : `${r.copy}: kept ${r.kept}, removed ${r.removed.length}${r.removed.length ? ` (${r.removed.join(', ')})` : ''}`) +
  (r.hostOnly ? `; left alone ${r.hostOnly.length} on the host only, not in the store (${r.hostOnly.join(', ')})` : '') +
  (r.refused ? `; refused ${r.refused.length} manifest(s): ${r.refused.join('; ')}` : '');

/** What a backup on the host alone shows instead of the rules that keep it: none counts it. */
export const HOST_ONLY = 'none: on the host only, not in the store (never chosen or rotated)';

/** What `smokestack backups ENV` lists: both copies, merged, with the rule that keeps each, and the manifests refused. */
export async function backupInventory(input: BackupInput): Promise<BackupListing> {
  const plan = await call(quick.planBackup, `plan the listing of ${input.environment}'s backups`, input);
  const listed: BackupCopies = patched(STORE_VOUCHES)
    ? await call(quick.listBackupCopies, `list ${input.environment}'s backups in both copies`, plan)
    : await listedOneByOne(plan);
  return { environment: input.environment, ...inventoryOf(listed, retentionOf(plan), Date.now()) };
}

async function listedOneByOne(plan: BackupPlan): Promise<BackupCopies> {
  const [host, store] = await Promise.all((['host', 'store'] as BackupCopy[]).map((copy) => call(quick.listBackups, `list the ${copy} copy's backups`, plan, copy)));
  return { host: host!, store: store!, refused: [] };
}

/**
 * Both copies merged, each backup as the store's manifest has it (the
 * host's is the host's word), with the rotation rules that keep it: the
 * store's rotation, which the host's follows.
 */
export function inventoryOf(listed: BackupCopies, policy: RetentionPolicy, now: number): Omit<BackupListing, 'environment'> {
  const byId = new Map<string, BackupListing['backups'][number]>();
  for (const m of listed.store) byId.set(m.id, { manifest: m, copies: ['store'], keptBy: [] });
  for (const m of listed.host) {
    const row = byId.get(m.id);
    if (row) row.copies.unshift('host');
    else byId.set(m.id, { manifest: m, copies: ['host'], keptBy: [HOST_ONLY] });
  }
  const backups = [...byId.values()].sort((a, b) => b.manifest.takenAt - a.manifest.takenAt);
  const decision = rotate(listed.store.map(candidateOf), policy, now);
  for (const { id, reasons } of decision.keep) byId.get(id)!.keptBy = reasons;
  return { now, backups, held: decision.held, ...(listed.refused.length > 0 ? { refused: listed.refused } : {}) };
}
