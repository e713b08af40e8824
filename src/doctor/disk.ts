// Free disk where a stack lives. A deploy needs room for new images beside
// the old ones (the rollback keeps them), so the warning comes well before
// the floor the deploy's preflight refuses at.
import { fail, ok, warn, type CheckLine } from './lines.ts';

/** Below this many times the floor, say so before a deploy is refused. */
export const DISK_WARN_FACTOR = 2;

export function judgeDisk(name: string, freeMb: number, minFreeDiskMb: number, dir: string): CheckLine {
  const free = formatMb(freeMb);
  if (freeMb < minFreeDiskMb) return fail(name, `${free} free for ${dir}, below minFreeDiskMb (${formatMb(minFreeDiskMb)}): deploys are refused; prune images (docker image prune) or grow the disk`);
  if (freeMb < minFreeDiskMb * DISK_WARN_FACTOR) return warn(name, `${free} free for ${dir}, less than twice minFreeDiskMb (${formatMb(minFreeDiskMb)}): prune images (docker image prune) soon`);
  return ok(name, `${free} free for ${dir}`);
}

function formatMb(mb: number): string {
  return mb >= 10 * 1024 ? `${(mb / 1024).toFixed(0)} GB` : mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}
