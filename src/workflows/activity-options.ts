// How workflows call activities: time budgets from timeouts.ts, retries
// from the failure contract, and a one-line summary for the Web UI.
import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type ActivityFunctionWithOptions,
  type LocalActivityFunctionWithOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { NOT_WORTH_RETRYING } from './failures.ts';
import type { DeployPlan } from './types.ts';
import { DUMP_TIMEOUT_SECONDS, heartbeatTimeoutSeconds, longActivityTimeoutSeconds, QUICK_ACTIVITY_TIMEOUT_SECONDS, QUICK_HEARTBEAT_TIMEOUT_SECONDS, SMOKE_TEST_TIMEOUT_SECONDS } from './timeouts.ts';

// A cancelled run waits for the running step to stop before it compensates:
// a restore must never race a `compose up` still running on the host.
const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;

/** Steps that ask or change little: plan, preflight, files, hold and release. */
export const quickActivities = () =>
  proxyActivities<Activities>({
    startToCloseTimeout: `${QUICK_ACTIVITY_TIMEOUT_SECONDS}s`,
    heartbeatTimeout: `${QUICK_HEARTBEAT_TIMEOUT_SECONDS}s`,
    cancellationType,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
  });

/** Steps that wait on the host (pull, dump, start, health gate), budgeted from the environment's timeouts. */
export const longActivities = (plan: Pick<DeployPlan, 'health' | 'host'>) =>
  proxyActivities<Activities>({
    startToCloseTimeout: `${longActivityTimeoutSeconds(plan.health.timeoutSeconds)}s`,
    heartbeatTimeout: `${heartbeatTimeoutSeconds(plan.host.connectTimeoutSeconds)}s`,
    cancellationType,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
  });

/** Steps that move a whole database (dump, copy, restore, read back): budgeted as a dump, alive by heartbeat. */
export const heavyActivities = () =>
  proxyActivities<Activities>({
    startToCloseTimeout: `${DUMP_TIMEOUT_SECONDS + 60}s`,
    heartbeatTimeout: '60s',
    cancellationType,
    retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 4, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
  });

/**
 * Short housekeeping after the outcome is known (prune): run by the worker at
 * once, without a round trip through the server's task queue, so it adds
 * only its own remote commands to a deploy.
 */
export const housekeepingActivities = () =>
  proxyLocalActivities<Activities>({
    startToCloseTimeout: `${QUICK_ACTIVITY_TIMEOUT_SECONDS}s`,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
  });

/**
 * The smoke test after a committed deploy: it only reports, so it is short
 * and tried a few times (a check that fails is a result, not a retry; a
 * retry is for a lost connection).
 */
export const smokeActivities = () =>
  proxyActivities<Activities>({
    startToCloseTimeout: `${SMOKE_TEST_TIMEOUT_SECONDS}s`,
    heartbeatTimeout: `${QUICK_HEARTBEAT_TIMEOUT_SECONDS}s`,
    cancellationType,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
  });

/** Calls an activity with a one-line summary, shown in the Web UI's timeline of the run. */
export function summarized<F extends (...args: any[]) => Promise<any>>(
  activity: ActivityFunctionWithOptions<F> | LocalActivityFunctionWithOptions<F>,
  summary: string,
  ...args: Parameters<F>
): Promise<Awaited<ReturnType<F>>> {
  return activity.executeWithOptions({ summary }, args);
}
