// A backup's id: the time it was taken, by the workflow clock, and for a
// backup taken by another runbook a word or two saying which (`-safety`,
// `-pre-migration`, `-dry-run-copy`). Sortable, and safe as a file name.
// Workflow-safe (pure): the runbooks make ids with it, the activities check
// the ids they read from hosts and the store against it.

/** The id of a backup taken at `ms`, e.g. `2026-11-28T02-00-00Z`. */
export const backupIdAt = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

/** What backupIdAt makes, with up to three lowercase words after it. Nothing else is a backup's id. */
export const BACKUP_ID = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z(?:-[a-z]{1,20}){0,3}$/;

/** The time in a backup's id, in ms; undefined for a string that is no id or names no real moment (2026-02-30). */
export function backupIdTime(id: string): number | undefined {
  const m = BACKUP_ID.exec(id);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return backupIdAt(ms).slice(0, 20) === id.slice(0, 20) ? ms : undefined;
}
