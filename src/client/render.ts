// How progress looks in a terminal and in CI logs: one line per change.
import type { StepProgress } from '../workflows/types.ts';

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
