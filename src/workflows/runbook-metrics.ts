// How every runbook ended, as metrics: one counter of outcomes and one
// histogram of durations, labelled by runbook, environment and outcome.
// Recorded in one place, around each registered workflow (index.ts), from
// what it returns or throws. The workflow metric meter emits nothing while
// a workflow replays, so a worker restart or a cache eviction never counts
// an outcome twice. Workflow-safe: no I/O; the names are shared with the
// worker's metrics endpoint (src/metrics) and the alert rules.
import { ApplicationFailure } from '@temporalio/common';
import { ContinueAsNew, isCancellation, metricMeter, workflowInfo } from '@temporalio/workflow';
import { failureTypeOf, REFUSED_BEFORE_CHANGE } from './failures.ts';

export const RUNBOOK_OUTCOMES = 'smokestack_runbook_outcomes_total';
export const RUNBOOK_DURATION = 'smokestack_runbook_duration_seconds';

/** Bucket bounds of the duration histogram, in seconds: a backup takes seconds, a promotion may wait days for its approval and devices. */
export const RUNBOOK_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400, 259200, 604800];

export interface RunbookLabels {
  runbook: string;
  environment: string;
}

type Input = {
  environment?: string;
  device?: string;
  to?: string;
  images?: unknown[];
};

/**
 * The runbook an operator would name and the environment it acts on, by
 * workflow type and input; undefined for the workflows that are not
 * runbooks (notifier, lock, reminders, listings).
 */
export function runbookLabels(workflowType: string, input: unknown): RunbookLabels | undefined {
  const i = (input ?? {}) as Input;
  switch (workflowType) {
    // A deploy of exact recorded images: `smokestack rollback`, or a promotion returning the cloud to what ran before.
    case 'deploy':
      return { runbook: i.images ? 'rollback' : 'deploy', environment: i.environment ?? '' };
    case 'promote':
      return { runbook: 'promote', environment: 'production' };
    case 'deviceUpdate':
      return { runbook: 'device-update', environment: i.device ?? '' };
    case 'backup':
      return { runbook: 'backup', environment: i.environment ?? '' };
    case 'validateBackup':
      return { runbook: 'validate', environment: i.environment ?? '' };
    case 'restore':
      return { runbook: 'restore', environment: i.environment ?? '' };
    case 'migrate':
      return { runbook: 'migrate', environment: i.to ?? '' };
    case 'databaseUsers':
      return { runbook: 'database-users', environment: i.environment ?? '' };
    default:
      return undefined;
  }
}

/**
 * How a run ended, in the runbook's own words where it has them (a deploy's
 * `rolled-back`, a promotion's `expired`, a migration's `dry-run`): the
 * result's `outcome`, or the failure's (the runbooks throw their result as
 * the failure's details), else what the failure's type says.
 */
export function outcomeOf(ended: { result: unknown } | { error: unknown }): string {
  if ('result' in ended) return stated(ended.result) ?? 'succeeded';
  const err = ended.error;
  const details = err instanceof ApplicationFailure ? err.details?.[0] : undefined;
  const said = stated(details);
  if (said) return said;
  const type = failureTypeOf(err);
  if (type === 'RollbackFailed') return 'rollback-failed';
  if (type === 'RolledBack') return 'rolled-back';
  if (type && REFUSED_BEFORE_CHANGE.has(type)) return 'refused';
  if (isCancellation(err)) return 'cancelled';
  return 'failed';
}

function stated(value: unknown): string | undefined {
  const outcome = (value as { outcome?: unknown } | null | undefined)?.outcome;
  return typeof outcome === 'string' ? outcome : undefined;
}

/**
 * The workflow `run`, counting how it ends. A continue-as-new is not an
 * end: the chain's last run counts, with the chain's whole duration.
 */
export function measured<A extends unknown[], R>(run: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  const wrapped = async (...args: A): Promise<R> => {
    try {
      const result = await run(...args);
      record(args[0], { result });
      return result;
    } catch (error) {
      if (!(error instanceof ContinueAsNew)) record(args[0], { error });
      throw error;
    }
  };
  // The worker registers a workflow by its export name; its own name stays for stack traces.
  Object.defineProperty(wrapped, 'name', { value: run.name });
  return wrapped;
}

function record(input: unknown, ended: { result: unknown } | { error: unknown }): void {
  const { workflowType, startTime } = workflowInfo();
  const labels = runbookLabels(workflowType, input);
  if (!labels) return;
  const tags = { ...labels, outcome: outcomeOf(ended) };
  metricMeter.createCounter(RUNBOOK_OUTCOMES, undefined, 'Runbook runs that ended, by runbook, environment and outcome').add(1, tags);
  // Temporal's clock: the chain's start to this workflow task.
  const seconds = Math.max(0, (Date.now() - startTime.getTime()) / 1000);
  metricMeter.createHistogram(RUNBOOK_DURATION, 'float', 's', 'How long runbook runs took, start to end, by runbook, environment and outcome').record(seconds, tags);
}
