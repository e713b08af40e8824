// The pre-deploy database backup: a consistent mongodump archive taken
// through the running database (never a copy of its live files), streamed
// to the host, checksummed. The scheduled backup system builds on this.
import { posix } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { inspectContainers } from '../commands/docker.ts';
import { checksum, fileSize, makeDir, moveFile, removeFile } from '../commands/files.ts';
import { dumpDatabase } from '../commands/mongo.ts';
import type { BackupRecord, DeployPlan } from '../workflows/types.ts';
import { onHost, whileHeartbeating } from './remote.ts';
import { lastLines } from './stack.ts';

export async function backupDatabase(plan: DeployPlan): Promise<BackupRecord | null> {
  if (!plan.database) return null;
  const { container } = plan.database;
  const info = Context.current().info;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = posix.join(plan.deployDir, 'backups', 'pre-deploy');
  const path = posix.join(dir, `${stamp}-${info.workflowExecution?.runId ?? info.activityId}.archive.gz`);
  return onHost(plan.host, async (host) => {
    const state = await host.run(inspectContainers([container]));
    if (state.code !== 0 || !state.stdout.includes('"Running":true')) return null; // first deploy: nothing to back up
    await host.check(makeDir(dir));
    const dump = await whileHeartbeating(host.run(dumpDatabase(container, `${path}.partial`), { timeoutSeconds: 1800 }));
    if (dump.code !== 0) {
      await host.run(removeFile(`${path}.partial`));
      throw ApplicationFailure.retryable(`mongodump failed: ${lastLines(dump.stderr, 5)}`, 'BackupFailed');
    }
    await host.check(moveFile(`${path}.partial`, path));
    const sha256 = (await host.check(checksum(path))).split(/\s+/)[0]!;
    const bytes = Number((await host.check(fileSize(path))).trim());
    if (!(bytes > 0)) throw ApplicationFailure.retryable(`backup ${path} is empty`, 'BackupFailed');
    return { path, sha256, bytes };
  });
}
