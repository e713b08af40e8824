// `smokestack backup ENV [--wait]` takes a backup now; `smokestack backups
// ENV` lists both copies with the rotation rule that keeps each. Hosts and
// the store are read by the worker: the CLI only talks to Temporal.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { backupProgressQuery, backupWorkflowId } from '../workflows/definitions.ts';
import { failureTypeOf, messageOf, REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import type { BackupInput, BackupListing, BackupResult } from '../workflows/types.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';
import { EXIT } from './exit-codes.ts';
import { progressPrinter } from './render.ts';

export async function runBackup(client: Client, settings: TemporalSettings, input: BackupInput, options: { wait: boolean }, write: (line: string) => void): Promise<number> {
  const workflowId = backupWorkflowId(input.environment);
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
    const result = await follow(client, workflowId, runId, write);
    const m = result.manifest;
    write(`succeeded: backup ${m.id} of ${m.environment}, ${m.bytes} bytes, sha256 ${m.sha256}`);
    write(`  on the host: ${result.hostPath}`);
    write(`  off the host: ${result.storePath}`);
    for (const r of result.rotation) write(`  rotation (${r.copy}): kept ${r.kept}, removed ${r.removed.length}${r.held ? `; ${r.held}` : ''}`);
    return EXIT.succeeded;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    write(`failed: ${messageOf(err)}`);
    return REFUSED_BEFORE_CHANGE.has(failureTypeOf(err) ?? '') ? EXIT.invalid : EXIT.failed;
  }
}

/** Prints each step as it changes until the run ends; its result, or its failure thrown. */
async function follow(client: Client, workflowId: string, runId: string, write: (line: string) => void): Promise<BackupResult> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const print = progressPrinter(write);
  let done = false;
  const ended = handle.result().finally(() => (done = true)) as Promise<BackupResult>;
  ended.catch(() => undefined);
  while (!done) {
    await Promise.race([sleep(1000), ended.catch(() => undefined)]);
    await handle.query(backupProgressQuery).then(print, () => undefined);
  }
  return ended;
}

export async function showBackups(client: Client, settings: TemporalSettings, environment: string, write: (line: string) => void): Promise<number> {
  let listing: BackupListing;
  try {
    listing = await client.workflow.execute('backupInventory', {
      taskQueue: settings.taskQueue,
      workflowId: `backups-${environment}-${randomUUID()}`,
      args: [{ environment }],
      staticSummary: `list the backups of ${environment}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    write(`failed: ${messageOf(err)}`);
    return REFUSED_BEFORE_CHANGE.has(failureTypeOf(err) ?? '') ? EXIT.invalid : EXIT.failed;
  }
  if (listing.backups.length === 0) {
    write(`no backups of ${environment} yet: \`smokestack backup ${environment}\` takes one`);
    return EXIT.succeeded;
  }
  write(['BACKUP'.padEnd(22), 'AGE'.padStart(8), 'SIZE'.padStart(10), 'WHERE'.padEnd(11), 'VALIDATED'.padEnd(10), 'KEPT BY'].join('  '));
  for (const { manifest: m, copies, keptBy } of listing.backups) {
    const validated = m.validated ? (m.validated.ok ? 'yes' : 'FAILED') : '-';
    const where = copies.length === 2 ? 'host+store' : `${copies[0]} only`;
    write([m.id.padEnd(22), age(listing.now - m.takenAt).padStart(8), size(m.bytes).padStart(10), where.padEnd(11), validated.padEnd(10), keptBy.join(', ') || 'next rotation removes it'].join('  '));
  }
  if (listing.held) write(listing.held);
  return EXIT.succeeded;
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
