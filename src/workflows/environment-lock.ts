// A run's side of its environment's lock: ask, wait your turn, do the work,
// give it back. Deploys, backups and restores of one environment take it,
// so only one of them touches its host at a time; environments do not
// wait for each other. The lock itself is a workflow (lock.ts).
//
// No I/O here. The request goes through an activity, because a workflow
// can signal another but not start one that is not its child (the lock
// outlives every run); the answers come back as signals, the release goes
// out as one. While a run waits, its `environment-lock` query, its details
// in the Web UI and (given a runbook) its `lock` step say who holds the
// lock and for what.
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { quickActivities, summarized as call } from './activity-options.ts';
import { environmentLockQuery, lockGrantedSignal, lockWaitingSignal, lockWorkflowId, releaseLockSignal } from './definitions.ts';
import { messageOf } from './failures.ts';
import { describeHeld, describeStatus, describeWait, LOCK_STEP } from './lock-report.ts';
import { refusals, refuse } from './refusals.ts';
import type { Runbook } from './runbook.ts';
import { parseLockWaiting, parseToken } from './signal-input.ts';
import { LOCK_REQUEST_REFRESH_SECONDS } from './timeouts.ts';
import type { LockRequest, LockStatus } from './types.ts';

const quick = quickActivities();

/** Every lock this run asked for (module state is the run's own: each workflow has its own copy of its modules). */
const asked: LockStatus[] = [];
/** The runbook that shows each waiting request, by its token. */
const shownIn = new Map<string, Runbook>();

/**
 * Runs `work` holding `environment`'s lock, and gives it back however
 * `work` ends (succeeded, failed, cancelled). `purpose` tells the runs
 * that wait what holds them up ("deploy v2, requested by alice").
 *
 * Taken again inside `work`, it is this run's already: `work` runs at once.
 * A child workflow of a holder must not ask for the same lock: it would
 * wait for its parent, which waits for it.
 */
export async function withEnvironmentLock<T>(
  environment: string,
  purpose: string,
  work: (lock: LockStatus) => Promise<T>,
  options: { runbook?: Runbook } = {},
): Promise<T> {
  const held = asked.find((s) => s.environment === environment && s.state === 'held');
  if (held) return work(held);
  const lock = await acquire(environment, purpose, options.runbook);
  try {
    return await work(lock);
  } finally {
    // Given back even by a cancelled run: the next one must not wait for the holder check.
    await CancellationScope.nonCancellable(() => giveBack(lock));
  }
}

async function acquire(environment: string, purpose: string, runbook: Runbook | undefined): Promise<LockStatus> {
  listen();
  const { workflowId, runId } = workflowInfo();
  const request: LockRequest = { environment, token: uuid4(), workflowId, runId, purpose, requestedAt: Date.now() };
  const lock: LockStatus = { environment, purpose, token: request.token, state: 'waiting', requestedAt: request.requestedAt };
  asked.push(lock);
  if (runbook) shownIn.set(lock.token, runbook);
  const wait = async (): Promise<LockStatus> => {
    try {
      // Asked again every few minutes while waiting: a lock run that was
      // lost (ended by hand, or on a task queue no worker serves any more)
      // is started again from the request. The lock knows a request asked twice.
      do {
        // Not cancellable: a withdrawal must never overtake its own request.
        await CancellationScope.nonCancellable(() => call(quick.requestEnvironmentLock, `ask for ${environment}'s lock: ${purpose}`, request));
      } while (!(await condition(() => lock.state === 'held', LOCK_REQUEST_REFRESH_SECONDS * 1000)));
      return lock;
    } catch (err) {
      // Cancelled while waiting: withdrawn, so the lock is not handed to a run that no longer wants it.
      await CancellationScope.nonCancellable(() => giveBack(lock));
      throw err;
    }
  };
  showInWebUi();
  return runbook ? runbook.step(LOCK_STEP, wait, describeHeld) : wait();
}

/** Gives the lock back, or withdraws the request. A lock that cannot be told takes it back once this run has ended. */
async function giveBack(lock: LockStatus): Promise<void> {
  if (lock.state === 'released') return;
  lock.state = 'released';
  lock.releasedAt = Date.now();
  showInWebUi();
  try {
    await getExternalWorkflowHandle(lockWorkflowId(lock.environment)).signal(releaseLockSignal, lock.token);
  } catch (err) {
    log.warn(`could not give ${lock.environment}'s lock back (${messageOf(err)}): the lock takes it back once this run has ended`);
  }
}

/**
 * The lock's answers, and the query that shows them: set up once per run.
 * Any JSON may arrive (a person's "Send a Signal"): what is not of the
 * answer's shape is refused (the `refused-input` query), never thrown on.
 */
function listen(): void {
  if (asked.length > 0) return;
  refusals();
  setHandler(lockGrantedSignal, (given: unknown) => {
    const parsed = parseToken(given);
    if (!parsed.ok) return refuse(lockGrantedSignal.name, given, parsed.why);
    const token = parsed.value;
    const lock = asked.find((s) => s.token === token);
    // A grant to a request already withdrawn is ignored: the withdrawal gives it back.
    if (lock?.state !== 'waiting') return;
    lock.state = 'held';
    lock.grantedAt = Date.now();
    showInWebUi();
  });
  setHandler(lockWaitingSignal, (given: unknown) => {
    const parsed = parseLockWaiting(given);
    if (!parsed.ok) return refuse(lockWaitingSignal.name, given, parsed.why);
    const { token, holder, ahead } = parsed.value;
    const lock = asked.find((s) => s.token === token);
    if (lock?.state !== 'waiting') return;
    Object.assign(lock, { holder, ahead });
    shownIn.get(token)?.note(LOCK_STEP, describeWait(lock));
    showInWebUi();
  });
  setHandler(environmentLockQuery, () => asked);
}

/** The run's details in the Web UI: what it waits for, or holds. */
function showInWebUi(): void {
  setCurrentDetails(
    asked
      .filter((s) => s.state !== 'released')
      .map(describeStatus)
      .join('\n'),
  );
}
