// The migration runbook: move a database from one host to another (the old
// cloud Pi to prod-cloud) once, losing nothing, and prove it.
//
//   plan, preflight     both ends read, judged, and health-gated; nothing changes
//   backups             the source's and the target's, each on its host and in the store
//   maintenance window  Discord told, the source's app stopped: no writer is left
//   final dump          taken now, read through (counts, content hashes, indexes)
//   transfer, restore   onto the target host, checked at both ends; restored there
//   verify              the target equals the archive, and the source still does
//   switch, smoke check the target deployed and health-gated; one read through its API
//   keep source         a reminder, days later, that the old host can go
//
// From the maintenance window on, any failure rolls back: the target's app
// stops, the source's starts and must serve again. Nothing on the source is
// ever deleted. A dry run copies into dev-cloud and never stops the source.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CancellationScope, executeChild, ParentClosePolicy, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { heavyActivities, quickActivities, summarized as call } from './activity-options.ts';
import { backupIdAt } from './backup.ts';
import { Compensation } from './compensation.ts';
import { differencesFrom } from './database-state.ts';
import { deploy } from './deploy.ts';
import { deployWorkflowId, keepSourceWorkflowId, migrationProgressQuery } from './definitions.ts';
import { withEnvironmentLock } from './environment-lock.ts';
import { failure, failureTypeOf, messageOf, REFUSED_BEFORE_CHANGE, type FailureType } from './failures.ts';
import { keepSource } from './keep-source.ts';
import { describeFacts, describeSeconds, preflightProblems } from './migration-checks.ts';
import { Notices } from './notifier.ts';
import { Runbook } from './runbook.ts';
import { planStackGate, type StackGate } from './stack-gate.ts';
import type { BackupManifest, BackupPlan, DatabaseFacts, DatabaseState, MigrateInput, MigrateResult, MigrationTimes, Notice } from './types.ts';
import type { MigrationPlan } from '../activities/database/migration.ts';

export const MIGRATE_STEPS = [
  'plan',
  'preflight',
  'backups',
  'maintenance window',
  'final dump',
  'transfer',
  'restore',
  'verify',
  'switch',
  'smoke check',
  'keep source',
] as const;

const quick = quickActivities();
const heavy = heavyActivities();

export async function migrate(input: MigrateInput): Promise<MigrateResult> {
  const dryRun = Boolean(input.dryRun);
  const runbook = new Runbook(MIGRATE_STEPS);
  const undo = new Compensation(runbook);
  const notices = new Notices(`migrate ${input.from}`);
  const times: MigrationTimes = {};
  const backups: BackupManifest[] = [];
  setHandler(migrationProgressQuery, () => ({ from: input.from, to: input.to, dryRun, steps: runbook.snapshot(), times: { ...times } }));
  const { workflowId, runId } = workflowInfo();
  // The source names the notice, the target stands where a deploy's version would.
  const notify = (kind: Notice['kind'], extra: Partial<Notice> = {}) =>
    notices.send({ kind, environment: input.from, version: input.to, run: { workflowId, runId }, requestedBy: input.requestedBy, ...extra });
  const result = (outcome: MigrateResult['outcome'], extra: Partial<MigrateResult> = {}): MigrateResult => ({
    from: input.from,
    to: input.to,
    dryRun,
    outcome,
    backups,
    times: { ...times },
    steps: runbook.snapshot(),
    ...extra,
  });

  const purpose = `${dryRun ? 'dry run of the migration' : 'migration'} of ${input.from}'s database to ${input.to}${input.requestedBy ? `, requested by ${input.requestedBy}` : ''}`;
  // Once something is stopped on either host, a failure must undo it.
  let touched = false;
  let undone = false;
  try {
    const plan = await runbook.step('plan', () => call(quick.planMigration, `plan the migration of ${input.from} to ${input.to}`, input), describePlan);
    return await withEnvironmentLock(input.from, purpose, async () => {
      try {
        // The target's lock until its database is verified; the switch's deploy takes it again itself.
        const moved = await withEnvironmentLock(input.to, purpose, async () => {
          const gates = await runbook.step('preflight', () => preflight(plan), (g) => `${describeFacts(g.facts.source)}; ${describeFacts(g.facts.target)}; both apps healthy`);
          await runbook.step('backups', () => takeBackups(plan, dryRun, backups), (m) => m.map((b) => `${b.environment} ${b.id}`).join(', ') + ': each on its host and in the store');

          if (dryRun) {
            runbook.skip('maintenance window', `dry run: ${input.from} keeps running, untouched`);
          } else {
            await runbook.step('maintenance window', async () => {
              notify('maintenance-started', { details: `${input.from}'s app (${plan.source.appContainers.join(', ')}) stops now; its database moves to ${input.to}.` });
              touched = true;
              // Registered before the stop: a stop that fails half-way leaves half an app.
              undo.add(['bring the source back'], () => bringBack(plan, gates.source, runbook));
              times.downAt = Date.now();
              await call(quick.stopApp, `stop ${input.from}'s app`, plan.source);
            }, () => `${input.from}'s app stopped at ${new Date(times.downAt!).toISOString()}`);
          }

          const archive = await runbook.step('final dump', () => finalDump(plan.source, dryRun), describeArchive);
          const path = await runbook.step('transfer', () => call(heavy.transferArchive, `copy ${archive.archive} to ${input.to}`, plan.source, plan.target, archive), (p) => `${p} on ${plan.target.host.host}, sha256 checked at both ends`);
          await runbook.step('restore', async () => {
            touched = true;
            undo.add([dryRun ? 'start the target again' : 'stop the target'], () => releaseTarget(plan, dryRun, backups, runbook));
            // The target's app must not read (or write) a half-restored database; the switch starts it again.
            await call(quick.stopApp, `stop ${input.to}'s app`, plan.target);
            await call(heavy.restoreArchive, `mongorestore ${archive.archive} on ${input.to}`, plan.target, path, archive);
          }, () => `${archive.archive} restored into ${input.to}'s database`);
          const state = await runbook.step('verify', () => verify(plan, archive, dryRun), describeVerified);
          return { archive, state, gates };
        });

        const { archive, state, gates } = moved;
        const version = gates.target.version ?? 'current';
        await runbook.step('switch', async () => {
          await call(quick.startApp, `start ${input.to}'s app`, plan.target);
          await executeChild(deploy, {
            workflowId: deployWorkflowId(input.to),
            args: [
            {
              environment: input.to,
              version,
              images: gates.target.running,
              requestedBy: `migration of ${input.from}'s database`,
              backedUpBy: `the migration (final dump ${archive.id}, verified)`,
            },
          ],
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            staticSummary: `deploy ${version} → ${input.to} (its database moved from ${input.from})`,
          });
        }, () => `${input.to} deployed (${version}) and healthy`);
        const expected = await call(quick.newestId, `the newest ${plan.smokeCheck.collection} in the moved data`, plan.target, plan.smokeCheck.collection);
        const smoke = await runbook.step('smoke check', async () => {
          if (!expected) throw failure('SmokeCheckFailed', `smartsmoker.${plan.smokeCheck.collection} is empty: nothing to read back through the API`);
          return call(quick.smokeCheck, `read the newest ${plan.smokeCheck.collection} through ${input.to}'s API`, plan.target, plan.smokeCheck, expected);
        }, (s) => `GET ${s.path} served ${s.newestId}`);
        undo.clear();
        times.upAt = Date.now();

        if (dryRun) {
          runbook.skip('keep source', 'dry run: nothing to decommission');
          notify('dry-run-done', { details: `${describeVerified(state)}. ${input.to}'s app serves it; ${input.from} was not stopped.` });
          await notices.handedOver();
          return result('dry-run', { moved: archive, state, smoke });
        }
        times.downtimeSeconds = (times.upAt - times.downAt!) / 1000;
        notify('maintenance-ended', { details: `Downtime ${describeSeconds(times.downtimeSeconds)}. ${describeVerified(state)}.`, durationSeconds: times.downtimeSeconds });
        const reminder = await runbook.step('keep source', () => remindLater(plan, input), (r) => r.detail);
        await notices.handedOver();
        return result('migrated', { moved: archive, state, smoke, keepSourceUntil: reminder.at });
      } catch (err) {
        // Undone holding both ends' locks, as a deploy undoes under its own: nothing else touches either meanwhile.
        if (touched) undone = await CancellationScope.nonCancellable(() => withEnvironmentLock(input.to, purpose, () => undo.run()).then(() => true, () => false));
        throw err;
      }
    });
  } catch (err) {
    const reason = messageOf(err);
    runbook.skipPending(touched ? 'the migration failed and was rolled back' : 'the migration stopped');
    if (!touched) {
      // Nothing was stopped on either host: refused (bad input, unfit ends) or failed before anything stopped.
      const type = failureTypeOf(err) as FailureType | undefined;
      const refused = type !== undefined && REFUSED_BEFORE_CHANGE.has(type);
      if (type !== 'InvalidInput' && type !== 'InvalidConfig') notify('migration-failed', { reason });
      await CancellationScope.nonCancellable(() => notices.handedOver());
      throw failure(type ?? 'MigrationRefused', `migration ${refused ? 'refused' : 'stopped'}, nothing was stopped on either host: ${reason}`, result('refused'));
    }
    if (dryRun) {
      notify('migration-failed', { reason, details: `Dry run: ${input.from} was never stopped. ${undone ? `${input.to}'s app was started again.` : `Starting ${input.to}'s app again failed too.`}` });
      await CancellationScope.nonCancellable(() => notices.handedOver());
      throw failure(undone ? 'RolledBack' : 'RollbackFailed', `dry run failed, ${input.from} untouched${undone ? '' : ` AND ${input.to}'s app could not be started again`}: ${reason}`, result(undone ? 'rolled-back' : 'rollback-failed'));
    }
    notify(undone ? 'migration-rolled-back' : 'migration-rollback-failed', {
      reason,
      details: undone ? `${input.from}'s app is running again and passed its health gate and smoke check. Nothing on ${input.from} was deleted.` : undefined,
    });
    await CancellationScope.nonCancellable(() => notices.handedOver());
    throw failure(
      undone ? 'RolledBack' : 'RollbackFailed',
      undone ? `migration rolled back, ${input.from} serves again: ${reason}` : `migration failed AND bringing ${input.from} back failed: ${reason}`,
      result(undone ? 'rolled-back' : 'rollback-failed'),
    );
  }
}

interface Gates {
  source: StackGate;
  target: StackGate;
  /** What was read on each end and judged fit. */
  facts: { source: DatabaseFacts; target: DatabaseFacts };
}

/** Both ends read and judged; both apps healthy now, or the gates after could not tell. */
async function preflight(plan: MigrationPlan): Promise<Gates> {
  const source = await call(quick.databaseFacts, `read ${plan.source.environment}'s database`, plan.source);
  const target = await call(quick.databaseFacts, `read ${plan.target.environment}'s database`, plan.target);
  const problems = preflightProblems(source, target);
  if (problems.length > 0) throw failure('MigrationRefused', `${problems.join('; ')} (${describeFacts(source)}; ${describeFacts(target)})`);
  return { source: await planStackGate(plan.source.environment, 'migration'), target: await targetGate(plan), facts: { source, target } };
}

/**
 * The target's app must be healthy too, but a rolled-back migration leaves
 * it stopped (the source serves): then it is started once, and must pass
 * its health gate, before anything else happens. An app that was running
 * and is unhealthy is refused, as the source's would be.
 */
async function targetGate(plan: MigrationPlan): Promise<StackGate> {
  const environment = plan.target.environment;
  const stack = await call(quick.planDeploy, `read ${environment}'s stack`, { environment, version: 'migration' });
  const running = await call(quick.inspectRunning, `what runs on ${environment}`, stack);
  const stoppedOnly = !running.healthy && running.images.length > 0 && /^(\S+ \(container exited\)(, )?)+$/.test(running.problems ?? '');
  if (!running.healthy && !stoppedOnly) {
    throw failure('CurrentVersionUnhealthy', `${environment} is not healthy now (${running.problems ?? 'unknown'}): fix it before the migration, or the health gate after it cannot tell`);
  }
  if (stoppedOnly) {
    await call(quick.startApp, `start ${environment}'s app (stopped by an earlier migration's rollback)`, plan.target);
    await call(heavy.healthGate, `health gate of ${environment}`, stack, running.images);
  }
  return { stack, running: running.images, version: running.version };
}

/** The source's backup and the target's, each on its host and in the store: two checksummed copies of each before anything stops. */
async function takeBackups(plan: MigrationPlan, dryRun: boolean, taken: BackupManifest[]): Promise<BackupManifest[]> {
  for (const end of [plan.source, plan.target]) {
    const id = `${backupIdAt(Date.now())}-${dryRun ? 'dry-run' : 'pre-migration'}`;
    const manifest = await call(heavy.takeBackup, `dump ${end.environment}'s database`, end, id, 'migration');
    await call(heavy.copyOffHost, `copy ${manifest.archive} to the store`, end, manifest);
    taken.push(await call(heavy.inspectArchive, `read ${manifest.archive} through`, end, manifest));
  }
  return taken;
}

/** The dump that moves: with no writer left (the app stopped; online in a dry run), copied off the host, read through. */
async function finalDump(source: BackupPlan, dryRun: boolean): Promise<BackupManifest> {
  const id = `${backupIdAt(Date.now())}-${dryRun ? 'dry-run-copy' : 'migration'}`;
  const manifest = await call(heavy.takeBackup, `dump ${source.environment}'s database`, source, id, 'migration');
  await call(heavy.copyOffHost, `copy ${manifest.archive} to the store`, source, manifest);
  return call(heavy.inspectArchive, `read ${manifest.archive} through`, source, manifest);
}

/**
 * The target read back must equal the archive: collections, counts,
 * indexes, content hashes. And the source must still equal it: a write
 * that reached the source after the final dump would be lost by the move,
 * so it stops the move instead (in a dry run the source keeps being written
 * to, so it is not compared).
 */
async function verify(plan: MigrationPlan, archive: BackupManifest, dryRun: boolean): Promise<DatabaseState> {
  const state = await call(heavy.databaseState, `read ${plan.target.environment}'s database back`, plan.target);
  const differences = differencesFrom(archive, state);
  if (differences.length > 0) throw failure('RestoreVerifyFailed', `${plan.target.environment}'s database differs from the final dump of ${plan.source.environment}: ${differences.join('; ')}`);
  if (!dryRun) {
    const source = await call(heavy.databaseState, `read ${plan.source.environment}'s database again`, plan.source);
    const changed = differencesFrom(archive, source);
    if (changed.length > 0) {
      throw failure('SourceChanged', `${plan.source.environment}'s database was written to after its final dump, and those writes would be lost: ${changed.join('; ')}`);
    }
  }
  return state;
}

/** The rollback: the target's app stops (registered apart), the source's starts, passes its health gate and serves its newest document. */
async function bringBack(plan: MigrationPlan, gate: StackGate, runbook: Runbook): Promise<void> {
  await runbook.step('bring the source back', async () => {
    await call(quick.startApp, `start ${plan.source.environment}'s app again`, plan.source);
    await call(heavy.healthGate, `health gate of ${plan.source.environment}`, gate.stack, gate.running);
    const newest = await call(quick.newestId, `the newest ${plan.smokeCheck.collection} on ${plan.source.environment}`, plan.source, plan.smokeCheck.collection);
    if (newest) await call(quick.smokeCheck, `read it through ${plan.source.environment}'s API`, plan.source, plan.smokeCheck, newest);
  });
}

/**
 * The target after a failure: stopped, in a migration (the source serves
 * again); started again in a dry run, holding whatever the failed copy left,
 * which its backup taken first can replace (`smokestack restore`).
 */
async function releaseTarget(plan: MigrationPlan, dryRun: boolean, backups: BackupManifest[], runbook: Runbook): Promise<void> {
  const step = dryRun ? 'start the target again' : 'stop the target';
  await runbook.step(step, () => call(dryRun ? quick.startApp : quick.stopApp, `${dryRun ? 'start' : 'stop'} ${plan.target.environment}'s app`, plan.target), () => {
    const before = backups.find((b) => b.environment === plan.target.environment);
    return dryRun && before ? `its data before the dry run is backup ${before.id}: smokestack restore ${plan.target.environment} --backup ${before.id} --yes` : 'stopped';
  });
}

/** The old host is kept: a countdown of its own, outliving this run, reminds Discord when it may go. */
async function remindLater(plan: MigrationPlan, input: MigrateInput): Promise<{ at?: number; detail: string }> {
  const { workflowId, runId } = workflowInfo();
  const at = Date.now() + plan.keepSeconds * 1000;
  try {
    await startChild(keepSource, {
      workflowId: keepSourceWorkflowId(input.from),
      args: [{ from: input.from, to: input.to, migration: { workflowId, runId }, keepSeconds: plan.keepSeconds, checks: plan.checks }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `remind that ${input.from} can be decommissioned`,
    });
  } catch (err) {
    // A forced second migration: the first one's countdown still runs, and reminds in its time. The move itself is done.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { detail: `${input.from} is kept; an earlier migration's reminder (${keepSourceWorkflowId(input.from)}) is still counting down` };
  }
  return { at, detail: `${input.from} is kept; the reminder is due ${new Date(at).toISOString()}` };
}

const describePlan = (p: MigrationPlan): string =>
  `${p.source.environment} (${p.source.host.host}) → ${p.target.environment} (${p.target.host.host}); smoke check ${p.smokeCheck.path.split('{collection}').join(p.smokeCheck.collection)}`;

function describeArchive(m: BackupManifest): string {
  const documents = m.collections.reduce((n, c) => n + c.documents, 0);
  return `${m.archive}: ${(m.bytes / 2 ** 20).toFixed(1)} MiB, ${m.collections.length} collection(s), ${documents} document(s), content hashes read`;
}

const describeVerified = (s: DatabaseState): string =>
  `${s.collections.length} collection(s), ${s.collections.reduce((n, c) => n + c.documents, 0)} document(s): counts, indexes and content hashes as dumped`;
