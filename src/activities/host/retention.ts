// Retention: after a successful deploy the host keeps the newest N rollback
// points (each holds a 0600 copy of the .env, secrets included) and the
// newest N pre-deploy backups; older ones go. This deploy's own rollback
// point and backup are never removed, whatever their age. The names come
// from the host: one that is no plain file name (names.ts) is left alone,
// never counted, and logged.
import { posix } from 'node:path';
import { Context } from '@temporalio/activity';
import { listEntries, removeFile, removeTree } from '../../commands/files.ts';
import type { Command } from '../../commands/command.ts';
import type { DeployPlan, PruneKeep, PruneResult } from '../../workflows/types.ts';
import { onHost } from '../remote.ts';
import { BACKUP_SUFFIX, preDeployBackupsDir, rollbackPointsDir } from './layout.ts';
import { childPath, parseEntries } from './names.ts';

interface Pile {
  dir: string;
  counts: (name: string) => boolean;
  remove: (path: string) => Command;
  protect?: string;
}

export async function pruneHost(plan: DeployPlan, keep: PruneKeep): Promise<PruneResult> {
  const piles: Pile[] = [
    { dir: rollbackPointsDir(plan.deployDir), counts: () => true, remove: removeTree, protect: keep.rollbackPoint },
    { dir: preDeployBackupsDir(plan.deployDir), counts: (n) => n.endsWith(BACKUP_SUFFIX), remove: removeFile, protect: keep.backup },
  ];
  // Every listing at once, then every removal at once: one channel each on the same connection.
  return onHost(plan.host, async (host) => {
    const doomed = await Promise.all(
      piles.map(async (pile) => {
        const listed = await host.run(listEntries(pile.dir));
        if (listed.code !== 0) return []; // nothing there yet
        const { entries, refused } = parseEntries(listed.stdout);
        for (const r of refused) Context.current().log.warn(`${plan.host.host}:${pile.dir}: left alone ${r.name}: ${r.why}`);
        const names = entries.map((e) => e.name).filter(pile.counts);
        const protect = pile.protect ? [posix.basename(pile.protect)] : [];
        return beyondNewest(names, plan.retention.keep, protect).map((name) => ({ pile, path: childPath(pile.dir, name) }));
      }),
    );
    const removed = doomed.flat();
    await Promise.all(removed.map(({ pile, path }) => host.check(pile.remove(path))));
    return { removed: removed.map(({ path }) => path), kept: plan.retention.keep };
  });
}

/** The entries to remove: all but the newest `keep`, never a protected one. */
export function beyondNewest(newestFirst: readonly string[], keep: number, protect: readonly string[]): string[] {
  return newestFirst.slice(Math.max(1, keep)).filter((name) => !protect.includes(name));
}
