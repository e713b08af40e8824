// The environment lock's two activities (src/workflows/lock.ts): asking for
// it, which starts the lock workflow when none runs, and asking whether a
// holder still runs. Both talk only to Temporal, through the worker's own
// client.
import { Context, log } from '@temporalio/activity';
import proto from '@temporalio/proto';
import { lockWorkflowId, requestLockSignal } from '../workflows/definitions.ts';
import { LOCK_HOLDER_CHECK_SECONDS, LOCK_STALE_SECONDS } from '../workflows/timeouts.ts';
import type { EnvironmentLockState, LockRequest } from '../workflows/types.ts';

export interface LockSettings {
  /** How long a holder holds before the lock asks whether it still runs (then as often again). */
  holderCheckSeconds: number;
  /** How long a lock run's task may wait for a worker, on another task queue, before it is started again on ours. */
  staleSeconds: number;
}

const DEFAULTS: LockSettings = { holderCheckSeconds: LOCK_HOLDER_CHECK_SECONDS, staleSeconds: LOCK_STALE_SECONDS };

/** Both activities, with the lock's settings (tests shorten them). */
export function environmentLockActivities(settings: Partial<LockSettings> = {}) {
  const chosen = { ...DEFAULTS, ...settings };
  return {
    requestEnvironmentLock: (request: LockRequest) => requestEnvironmentLock(request, chosen),
    isWorkflowRunning,
  };
}

type TemporalClient = Context['client'];

/** Signals the request to the environment's lock workflow, starting one on this worker's task queue if none runs. */
async function requestEnvironmentLock(request: LockRequest, settings: LockSettings): Promise<void> {
  const { client, info } = Context.current();
  const workflowId = lockWorkflowId(request.environment);
  const inherited = await stateToCarryOver(client, workflowId, info.taskQueue, settings.staleSeconds);
  const start: EnvironmentLockState = { environment: request.environment, queue: [], ...inherited, holderCheckSeconds: settings.holderCheckSeconds };
  await client.workflow.signalWithStart('environmentLock', {
    workflowId,
    taskQueue: info.taskQueue,
    args: [start],
    signal: requestLockSignal,
    signalArgs: [request],
    staticSummary: `the lock of ${request.environment}: one deploy, backup or restore at a time`,
  });
}

/**
 * What a new lock run must start from, should this request start one:
 * nothing after a run that ended free; the last state of one ended
 * otherwise (terminated or cancelled by hand: its holder may still run);
 * and the state of one that no worker serves any more (its task queue's
 * worker is gone), which is then ended so that ours replaces it.
 */
async function stateToCarryOver(client: TemporalClient, workflowId: string, taskQueue: string, staleSeconds: number): Promise<Partial<EnvironmentLockState>> {
  const handle = client.workflow.getHandle(workflowId);
  let desc: Awaited<ReturnType<typeof handle.describe>>;
  try {
    desc = await handle.describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return {};
    // A memo this process cannot read (encrypted with keys it lacks): a lock that ended free carries nothing, so its state is not needed.
    if (await endedFree(client, workflowId)) return {};
    throw err;
  }
  const last = (desc.memo?.state ?? {}) as Partial<EnvironmentLockState>;
  const carried = { holder: last.holder, queue: last.queue ?? [] };
  const status = desc.status.name;
  if (status === 'COMPLETED') return {};
  if (status !== 'RUNNING') return carried;
  // Served by this worker's task queue, or picked up lately: signalled as it is.
  const task = desc.raw.pendingWorkflowTask;
  const waitingSince = Number(task?.originalScheduledTime?.seconds ?? task?.scheduledTime?.seconds ?? 0) * 1000;
  const unserved = task && !task.startedTime && Date.now() - waitingSince > staleSeconds * 1000;
  if (desc.taskQueue === taskQueue || !unserved) return {};
  const why = `no worker has picked up its task on ${desc.taskQueue} for ${staleSeconds}s: continued on ${taskQueue}`;
  log.warn(`the lock ${workflowId}: ${why}`);
  await handle.terminate(why).catch(() => undefined);
  return carried;
}

/** Whether the lock's last run completed (free), read without decoding its memo. */
async function endedFree(client: TemporalClient, workflowId: string): Promise<boolean> {
  const { workflowExecutionInfo } = await client.workflowService.describeWorkflowExecution({ namespace: client.options.namespace, execution: { workflowId } });
  return workflowExecutionInfo?.status === proto.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED;
}

/** Whether a run is still running (a holder that was terminated is not). */
async function isWorkflowRunning(workflowId: string, runId: string): Promise<boolean> {
  try {
    return (await Context.current().client.workflow.getHandle(workflowId, runId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}
