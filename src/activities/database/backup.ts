// The pre-deploy database backup: a consistent mongodump archive taken
// through the running database (never a copy of its live files), streamed
// to the host, checksummed. The scheduled backup system builds on this.
import { posix } from 'node:path';
import { Context } from '@temporalio/activity';
import { inspectContainers } from '../../commands/docker.ts';
import { checksum, fileSize, makePrivateDir, moveFile, removeFile } from '../../commands/files.ts';
import { dumpDatabase } from '../../commands/mongo.ts';
import type { BackupRecord, DeployPlan } from '../../workflows/types.ts';
import type { RemoteHost } from '../../ssh/executor.ts';
import type { Command } from '../../commands/command.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { BACKUP_SUFFIX, backupsDir, preDeployBackupsDir } from '../host/layout.ts';
import { jsonLines, lastLines } from '../output.ts';
import { failure } from '../../workflows/failures.ts';
import { DUMP_TIMEOUT_SECONDS } from '../../workflows/timeouts.ts';

export async function backupDatabase(plan: DeployPlan): Promise<BackupRecord | null> {
  if (!plan.database) return null;
  const { container } = plan.database;
  const info = Context.current().info;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = preDeployBackupsDir(plan.deployDir);
  const path = posix.join(dir, `${stamp}-${info.workflowExecution?.runId ?? info.activityId}${BACKUP_SUFFIX}`);
  return onHost(plan.host, async (host) => {
    if (!(await isRunning(host, container))) return null; // first deploy: nothing to back up
    await host.check(makePrivateDir(dir, backupsDir(plan.deployDir)));
    const { sha256, bytes } = await dumpToFile(host, dumpDatabase(container, `${path}.partial`), path);
    return { path, sha256, bytes };
  });
}

/**
 * Runs a dump command that writes `<path>.partial`, then renames it to
 * `path` and checksums it: a crashed dump never leaves a file that looks
 * finished. Returns what the dump said on stderr (mongodump's counts).
 */
export async function dumpToFile(host: RemoteHost, dump: Command, path: string): Promise<{ sha256: string; bytes: number; log: string }> {
  const ran = await whileHeartbeating(host.run(dump, { timeoutSeconds: DUMP_TIMEOUT_SECONDS }));
  if (ran.code !== 0) {
    await host.run(removeFile(`${path}.partial`));
    throw failure('BackupFailed', `mongodump failed: ${lastLines(ran.stderr, 5)}`);
  }
  await host.check(moveFile(`${path}.partial`, path));
  const sha256 = (await host.check(checksum(path))).split(/\s+/)[0]!;
  const bytes = Number((await host.check(fileSize(path))).trim());
  if (!(bytes > 0)) throw failure('BackupFailed', `backup ${path} is empty`);
  return { sha256, bytes, log: ran.stderr };
}

/** Whether the container exists and runs (a missing one is not an error: there is nothing to back up). */
async function isRunning(host: RemoteHost, container: string): Promise<boolean> {
  const inspected = await host.run(inspectContainers([container]));
  if (inspected.code !== 0) return false;
  return jsonLines<{ State: { Running: boolean } }>(inspected.stdout).some((c) => c.State.Running);
}
