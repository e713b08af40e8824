// How progress looks in a terminal and in CI logs: one line per change.
import { describeStatus, LOCK_STEP } from '../workflows/lock-report.ts';
import type { LockStatus, StepProgress } from '../workflows/types.ts';

const MARK: Record<StepProgress['state'], string> = {
  pending: '·',
  running: '…',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
};

export function stepLine(step: StepProgress): string {
  const took = step.startedAt && step.endedAt ? ` (${((step.endedAt - step.startedAt) / 1000).toFixed(1)}s)` : '';
  const detail = step.detail ? `  ${step.detail}` : '';
  return `  ${MARK[step.state]} ${step.name}${took}${detail}`;
}

/** Prints each step when its state changes; returns a function to call with every new snapshot. */
export function progressPrinter(write: (line: string) => void): (progress: { steps: StepProgress[] }) => void {
  const seen = new Map<string, string>();
  return (progress) => {
    for (const step of progress.steps) {
      const key = `${step.state}|${step.detail ?? ''}`;
      if (step.state === 'pending' || seen.get(step.name) === key) continue;
      seen.set(step.name, key);
      write(stepLine(step));
    }
  };
}

/**
 * Prints a run's environment locks when they change: whom it waits for,
 * then that it holds it. For the runs that take the lock before their
 * runbook starts (backup, restore), so a wait is never silent.
 */
export function lockPrinter(write: (line: string) => void): (locks: LockStatus[]) => void {
  // By environment: a run that holds two locks (a migration) prints each once, not the two in turn.
  const seen = new Map<string, string>();
  return (locks) => {
    for (const lock of locks) {
      if (lock.state === 'released') continue;
      const step: StepProgress = { name: LOCK_STEP, state: lock.state === 'held' ? 'succeeded' : 'running', detail: describeStatus(lock) };
      const key = `${step.state}|${step.detail}`;
      if (seen.get(lock.environment) === key) continue;
      seen.set(lock.environment, key);
      write(stepLine(step));
    }
  };
}
