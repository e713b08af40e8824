// `smokestack migrate --from SRC --to DST [--dry-run] [--yes] [--wait] [--force]`
// moves a database once; `smokestack migrate status [--from SRC]` says where
// it stands. The guard that a source is migrated once is the workflow ID
// itself: Temporal refuses a second start after a completed run (reuse
// policy: failed runs only), unless --force asks for it.
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { keepSourceQuery, keepSourceWorkflowId, migrateWorkflowId, migrationProgressQuery } from '../workflows/definitions.ts';
import { failureTypeOf, messageOf, REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import { describeSeconds } from '../workflows/migration-checks.ts';
import type { KeepSourceState, MigrateInput, MigrateResult } from '../workflows/types.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';
import { follow } from './backup-command.ts';
import { EXIT } from './exit-codes.ts';
import { stepLine } from './render.ts';

export interface MigrateOptions {
  yes: boolean;
  wait: boolean;
  force: boolean;
}

export async function runMigrate(client: Client, settings: TemporalSettings, input: MigrateInput, options: MigrateOptions, write: (line: string) => void): Promise<number> {
  if (!options.yes) return printPlan(input, write);
  const workflowId = migrateWorkflowId(input.from, input.dryRun);
  let runId: string;
  try {
    const handle = await client.workflow.start('migrate', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [input],
      // Dry runs repeat at will; a real migration once, unless it failed (or --force).
      workflowIdReusePolicy: input.dryRun || options.force ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      staticSummary: `${input.dryRun ? 'dry run: copy' : 'migrate'} ${input.from}'s database → ${input.to}`,
    });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(workflowId).describe();
    if (desc.status.name === 'RUNNING') {
      write(`refused: a migration of ${input.from} is already running: ${workflowId} (run ${desc.runId})`);
      write(`  Web UI: ${runUrl(settings, workflowId, desc.runId)}`);
      return EXIT.busy;
    }
    write(`refused: ${input.from}'s database was already migrated (${workflowId}, ended ${desc.closeTime?.toISOString() ?? 'earlier'}, run ${desc.runId}).`);
    write(`  A second migration would replace what ${input.to} has served since with ${input.from}'s old data. If that is what you want: --force`);
    return EXIT.invalid;
  }
  write(`${input.dryRun ? 'dry run of the migration' : 'migration'} of ${input.from} → ${input.to}: ${workflowId}`);
  write(`  Web UI: ${runUrl(settings, workflowId, runId)}`);
  if (!options.wait) return EXIT.succeeded;
  try {
    const result = await follow<MigrateResult>(client, workflowId, runId, migrationProgressQuery, write);
    write(describeResult(result));
    return EXIT.succeeded;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const type = failureTypeOf(err);
    write(`${type === 'RollbackFailed' ? 'MIGRATION AND ITS ROLLBACK FAILED' : 'failed'}: ${messageOf(err)}`);
    if (type === 'RollbackFailed') return EXIT.rollbackFailed;
    if (type === 'RolledBack') return EXIT.rolledBack;
    return REFUSED_BEFORE_CHANGE.has(type ?? '') ? EXIT.invalid : EXIT.failed;
  }
}

function describeResult(r: MigrateResult): string {
  if (r.dryRun) return `dry run succeeded: ${r.to} holds a verified copy of ${r.from}'s database and serves it; ${r.from} was not stopped`;
  const until = r.keepSourceUntil ? `; ${r.from} is kept until ${new Date(r.keepSourceUntil).toISOString()} (a reminder then)` : '';
  return `migrated: ${r.to} serves ${r.from}'s database, downtime ${describeSeconds(r.times.downtimeSeconds ?? 0)}${until}`;
}

function printPlan(input: MigrateInput, write: (line: string) => void): number {
  const { from, to } = input;
  const run = `smokestack migrate --from ${from} --to ${to}${input.dryRun ? ' --dry-run' : ''} --yes --wait`;
  if (input.dryRun) {
    write(`dry-run plan: copy ${from}'s database into ${to} (nothing changes without --yes; ${from} is never stopped):`);
    write(`  1. preflight: both databases MongoDB >= 7.0 with authentication, the same version, room on ${to}, both apps healthy`);
    write(`  2. back up ${from} and ${to}, each on its host and in the store`);
    write(`  3. dump ${from} while it runs, copy the dump to ${to} (sha256 at both ends), stop ${to}'s app, restore it there`);
    write(`  4. verify ${to}: every collection's count, indexes and content hash as dumped`);
    write(`  5. start and deploy ${to}, health gate, read the newest document through its API`);
    write(`  if a step after 3 fails, ${to}'s app is started again; its backup from step 2 can be restored`);
    write(`run it: ${run}`);
    return EXIT.succeeded;
  }
  write(`migration plan: move ${from}'s database to ${to}, once (nothing changes without --yes):`);
  write(`  1. preflight: ${from} runs MongoDB >= 7.0 with authentication, ${to} the same version with room for twice the data; both apps healthy`);
  write(`  2. back up ${from} and ${to}, each on its host and in the store`);
  write(`  3. maintenance window: Discord told, ${from}'s app stopped (the downtime starts)`);
  write(`  4. final dump of ${from}, copied to ${to} (sha256 at both ends), restored there`);
  write(`  5. verify: ${to} holds every collection with its count, indexes and content hash; ${from} unchanged since the dump`);
  write(`  6. switch: deploy ${to} with its health gate, read the newest document through its API; Discord told the downtime`);
  write(`  7. keep ${from}: nothing on it is deleted; a reminder when it may be decommissioned`);
  write(`  if any step from 3 on fails: ${to}'s app stops, ${from}'s starts and must pass its health gate and serve`);
  write(`  try it first: smokestack migrate --from ${from} --to ${to} --dry-run --yes --wait`);
  write(`run it: ${run}`);
  return EXIT.succeeded;
}

/** Where the migration of `from` stands: its run (real, else dry), its steps, and the countdown to the reminder. */
export async function showMigration(client: Client, settings: TemporalSettings, from: string, write: (line: string) => void): Promise<number> {
  let shown = false;
  for (const dryRun of [false, true]) {
    const workflowId = migrateWorkflowId(from, dryRun);
    const handle = client.workflow.getHandle(workflowId);
    const desc = await handle.describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
    if (!desc) continue;
    shown = true;
    write(`${dryRun ? 'dry run' : 'migration'} of ${from}: ${desc.status.name.toLowerCase()} (${workflowId}, started ${desc.startTime.toISOString()})`);
    write(`  Web UI: ${runUrl(settings, workflowId, desc.runId)}`);
    const progress = await handle.query(migrationProgressQuery).catch(() => undefined);
    if (progress) {
      for (const step of progress.steps) if (step.state !== 'pending') write(stepLine(step));
      if (progress.times.downtimeSeconds !== undefined) write(`  downtime: ${describeSeconds(progress.times.downtimeSeconds)}`);
      else if (progress.times.downAt && desc.status.name === 'RUNNING') write(`  ${from}'s app down since ${new Date(progress.times.downAt).toISOString()}`);
    }
  }
  if (!shown) {
    write(`${from} has not been migrated: \`smokestack migrate --from ${from} --to TARGET\` prints the plan`);
    return EXIT.succeeded;
  }
  const keep = await client.workflow
    .getHandle(keepSourceWorkflowId(from))
    .query(keepSourceQuery)
    .catch(() => undefined as KeepSourceState | undefined);
  if (keep) {
    const left = (keep.remindAt - Date.now()) / 1000;
    write(
      keep.reminded || left <= 0
        ? `  keep ${from}: the reminder was sent; it may be decommissioned once the checks pass (nothing deletes it)`
        : `  keep ${from}: ${describeDays(left)} left until the reminder (${new Date(keep.remindAt).toISOString()}); nothing deletes it`,
    );
    for (const check of keep.checks) write(`    - ${check}`);
  }
  return EXIT.succeeded;
}

const describeDays = (seconds: number): string => (seconds >= 86_400 ? `${(seconds / 86_400).toFixed(1)} days` : describeSeconds(seconds));
