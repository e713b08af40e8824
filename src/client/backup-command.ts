// `smokestack backup ENV [--wait]` takes a backup now; `smokestack backups
// ENV` lists both copies with the rotation rule that keeps each. Hosts and
// the store are read by the worker: the CLI only talks to Temporal.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultBackup } from '../workflows/database-state.ts';
import { backupProgressQuery, databaseWorkflowId, environmentLockQuery, restoreProgressQuery } from '../workflows/definitions.ts';
import { failureTypeOf, messageOf, REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import type { BackupInput, BackupListing, BackupResult, RestoreInput, RestoreResult, StepProgress } from '../workflows/types.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';
import { EXIT } from './exit-codes.ts';
import { lockPrinter, progressPrinter } from './render.ts';

export async function runBackup(client: Client, settings: TemporalSettings, input: BackupInput, options: { wait: boolean }, write: (line: string) => void): Promise<number> {
  const workflowId = databaseWorkflowId(input.environment);
  let runId: string;
  try {
    const handle = await client.workflow.start('backup', { taskQueue: settings.taskQueue, workflowId, args: [input], staticSummary: `backup ${input.environment}` });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(workflowId).describe();
    write(`refused: a backup of ${input.environment} is already running: ${workflowId} (run ${desc.runId}, started ${desc.startTime.toISOString()})`);
    write(`  ${runUrl(settings, workflowId, desc.runId)}`);
    return EXIT.busy;
  }
  write(`backup ${input.environment}: ${workflowId}`);
  write(`  Web UI: ${runUrl(settings, workflowId, runId)}`);
  if (!options.wait) return EXIT.succeeded;
  try {
    const result = await follow<BackupResult>(client, workflowId, runId, backupProgressQuery, write);
    const m = result.manifest;
    write(`succeeded: backup ${m.id} of ${m.environment}, ${m.bytes} bytes, sha256 ${m.sha256}`);
    write(`  on the host: ${result.hostPath}`);
    write(`  off the host: ${result.storePath}`);
    for (const r of result.rotation) {
      write(`  rotation (${r.copy}): kept ${r.kept}, removed ${r.removed.length}${r.held ? `; ${r.held}` : ''}`);
      if (r.hostOnly) write(`    left alone, on the host only (the store has no copy): ${r.hostOnly.join(', ')}`);
      for (const refused of r.refused ?? []) write(`    refused ${refused}`);
    }
    return EXIT.succeeded;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    write(`failed: ${messageOf(err)}`);
    return REFUSED_BEFORE_CHANGE.has(failureTypeOf(err) ?? '') ? EXIT.invalid : EXIT.failed;
  }
}

/** Prints each step as it changes until the run ends; its result, or its failure thrown. */
export async function follow<R>(
  client: Client,
  workflowId: string,
  runId: string,
  progress: QueryDefinition<{ steps: StepProgress[] }>,
  write: (line: string) => void,
): Promise<R> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const print = progressPrinter(write);
  const printLock = lockPrinter(write);
  let done = false;
  const ended = handle.result().finally(() => (done = true)) as Promise<R>;
  ended.catch(() => undefined);
  while (!done) {
    await Promise.race([sleep(1000), ended.catch(() => undefined)]);
    // The run waits for its environment's lock before its runbook starts: that wait is shown too.
    await handle.query(environmentLockQuery).then(printLock, () => undefined);
    await handle.query(progress).then(print, () => undefined);
  }
  return ended;
}

export async function showBackups(client: Client, settings: TemporalSettings, environment: string, write: (line: string) => void): Promise<number> {
  const listing = await inventory(client, settings, environment, write);
  if (!listing) return EXIT.failed;
  const refused = () => {
    for (const r of listing.refused ?? []) write(`refused (${r.copy}): ${r.name}: ${r.why}`);
  };
  if (listing.backups.length === 0) {
    write(`no backups of ${environment} yet: \`smokestack backup ${environment}\` takes one`);
    refused();
    return EXIT.succeeded;
  }
  write(['BACKUP'.padEnd(22), 'AGE'.padStart(8), 'SIZE'.padStart(10), 'WHERE'.padEnd(11), 'VALIDATED'.padEnd(10), 'KEPT BY'].join('  '));
  for (const { manifest: m, copies, keptBy } of listing.backups) {
    const validated = m.validated ? (m.validated.ok ? 'yes' : 'FAILED') : '-';
    const where = copies.length === 2 ? 'host+store' : `${copies[0]} only`;
    write([m.id.padEnd(22), age(listing.now - m.takenAt).padStart(8), size(m.bytes).padStart(10), where.padEnd(11), validated.padEnd(10), keptBy.join(', ') || 'next rotation removes it'].join('  '));
  }
  if (listing.held) write(listing.held);
  refused();
  return EXIT.succeeded;
}

/** Both copies' backups, read by the worker; undefined (said why) when that failed. */
async function inventory(client: Client, settings: TemporalSettings, environment: string, write: (line: string) => void): Promise<BackupListing | undefined> {
  try {
    return await client.workflow.execute('backupInventory', {
      taskQueue: settings.taskQueue,
      workflowId: `backups-${environment}-${randomUUID()}`,
      args: [{ environment }],
      staticSummary: `list the backups of ${environment}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    write(`failed: ${messageOf(err)}`);
    return undefined;
  }
}

function age(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)}h`;
  return `${Math.floor(minutes / 1440)}d`;
}

function size(bytes: number): string {
  return bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * `restore ENV [--backup ID]`: without --yes, prints what would happen and
 * changes nothing; with it, runs the restore runbook under the database lock.
 */
export async function runRestore(
  client: Client,
  settings: TemporalSettings,
  input: RestoreInput,
  options: { yes: boolean; wait: boolean },
  write: (line: string) => void,
): Promise<number> {
  if (!options.yes) return printRestorePlan(client, settings, input, write);
  const workflowId = databaseWorkflowId(input.environment);
  let runId: string;
  try {
    const handle = await client.workflow.start('restore', { taskQueue: settings.taskQueue, workflowId, args: [input], staticSummary: `restore ${input.environment} from ${input.backupId ?? 'its newest backup'}` });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(workflowId).describe();
    write(`refused: a backup or restore of ${input.environment} is already running: ${workflowId} (${desc.type}, run ${desc.runId})`);
    return EXIT.busy;
  }
  write(`restore ${input.environment}: ${workflowId}`);
  write(`  Web UI: ${runUrl(settings, workflowId, runId)}`);
  if (!options.wait) return EXIT.succeeded;
  try {
    const result = await follow<RestoreResult>(client, workflowId, runId, restoreProgressQuery, write);
    write(`succeeded: ${input.environment} holds backup ${result.restored.id}; safety backup ${result.safety.id} kept`);
    return EXIT.succeeded;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const type = failureTypeOf(err);
    write(`${type === 'RollbackFailed' ? 'RESTORE AND ITS UNDO FAILED' : 'failed'}: ${messageOf(err)}`);
    if (type === 'RollbackFailed') return EXIT.rollbackFailed;
    return REFUSED_BEFORE_CHANGE.has(type ?? '') ? EXIT.invalid : EXIT.rolledBack;
  }
}

async function printRestorePlan(client: Client, settings: TemporalSettings, input: RestoreInput, write: (line: string) => void): Promise<number> {
  const listing = await inventory(client, settings, input.environment, write);
  if (!listing) return EXIT.failed;
  // As the restore chooses (chooseBackup): from the store only; a backup on the host alone is not trusted.
  const candidates = listing.backups.filter((b) => b.copies.includes('store')).map((b) => b.manifest);
  const chosen = input.backupId ? candidates.find((m) => m.id === input.backupId) : defaultBackup(candidates);
  if (!chosen) {
    const hostOnly = input.backupId !== undefined && listing.backups.some((b) => b.manifest.id === input.backupId);
    write(
      hostOnly
        ? `backup ${input.backupId} of ${input.environment} is on its host only: the store has no copy to check it against, and a manifest from the host alone is not trusted`
        : input.backupId
          ? `no backup ${input.backupId} of ${input.environment}: \`smokestack backups ${input.environment}\` lists them`
          : `${input.environment} has no backups in the store yet`,
    );
    return EXIT.invalid;
  }
  const documents = chosen.collections.reduce((n, c) => n + c.documents, 0);
  write(`restore plan for ${input.environment} (nothing changes without --yes):`);
  write(`  backup ${chosen.id}, taken ${new Date(chosen.takenAt).toISOString()}, ${chosen.bytes} bytes, ${documents} documents, sha256 ${chosen.sha256}`);
  write('  1. check the archive on the host against its sha256 (from the store if the host copy is missing or damaged)');
  write('  2. take a safety backup of the live database, on the host and in the store');
  write('  3. stop the app services');
  write(`  4. replace every application database with the backup's (what was written since ${chosen.id} is lost, but kept in the safety backup)`);
  write('  5. read the database back: every collection with the documents (counted and hashed) and indexes the backup holds');
  write('  6. start the app services and pass their health gate');
  write('  if any step after 2 fails, the safety backup is put back the same way');
  write(`run it: smokestack restore ${input.environment} --backup ${chosen.id} --yes --wait`);
  return EXIT.succeeded;
}
