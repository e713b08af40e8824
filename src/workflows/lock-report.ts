// What the environment lock says about itself and its runs, in words: the
// waiting run's step detail and Web UI details, the CLI's lines, the lock
// workflow's own details. Pure functions of its data. Workflow-safe.
import type { BackupInput, EnvironmentLockState, LockHolder, LockStatus, RestoreInput } from './types.ts';

/** The runbook step that waits for the lock, in the runbooks that show it. */
export const LOCK_STEP = 'lock';

/** What a backup run is, to the runs that wait for it: "scheduled backup", "manual backup, requested by alice". */
export function backupPurpose(input: BackupInput): string {
  if (input.trigger === 'schedule') return 'scheduled backup';
  const what = `${input.trigger ?? 'manual'} backup`;
  return input.requestedBy ? `${what}, requested by ${input.requestedBy}` : what;
}

/** "restore 2026-11-28T02-00-00Z, requested by alice". */
export function restorePurpose(input: RestoreInput): string {
  const what = `restore ${input.backupId ?? 'the newest backup'}`;
  return input.requestedBy ? `${what}, requested by ${input.requestedBy}` : what;
}

/** A time as UTC, to the second: "2026-11-29T01:00:02Z". */
const at = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** "scheduled backup (database-prod-cloud-2026-11-29T01:00:00Z, since 2026-11-29T01:00:02Z)". */
export const describeHolder = (h: LockHolder): string => `${h.purpose} (${h.workflowId}, since ${at(h.grantedAt)})`;

/** "waiting: prod-cloud is locked by scheduled backup (database-prod-cloud-…, since …); 1 more waiting ahead". */
export function describeWait(s: LockStatus): string {
  if (!s.holder) return `waiting for ${s.environment}'s lock`;
  const ahead = s.ahead ? `; ${s.ahead} more waiting ahead` : '';
  return `waiting: ${s.environment} is locked by ${describeHolder(s.holder)}${ahead}`;
}

/** How the run got the lock: at once, or after whom. */
export function describeHeld(s: LockStatus): string {
  if (!s.holder) return `${s.environment} locked for this run`;
  const waited = Math.round(((s.grantedAt ?? s.requestedAt) - s.requestedAt) / 1000);
  return `${s.environment} locked for this run, after waiting ${waited}s behind ${s.holder.purpose} (${s.holder.workflowId})`;
}

/** The run's own account of a lock, one line: what the CLI and the Web UI show. */
export function describeStatus(s: LockStatus): string {
  if (s.state === 'waiting') return describeWait(s);
  if (s.state === 'held') return describeHeld(s);
  return `${s.environment}'s lock given back`;
}

/** The lock workflow's details in the Web UI: who holds it, who waits. */
export function describeLockState(state: EnvironmentLockState): string {
  if (!state.holder) return `${state.environment}: free`;
  const waiting = state.queue.map((r) => `${r.purpose} (${r.workflowId})`);
  return `${state.environment}: held by ${describeHolder(state.holder)}${waiting.length ? `; waiting: ${waiting.join(', ')}` : ''}`;
}
