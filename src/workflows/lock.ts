// The lock of one environment, a workflow of its own (`lock-ENV`). Deploys,
// backups and restores of the environment ask for it by signal, get it in
// the order they asked (signalled back), and give it back by signal, so
// that only one of them touches the host at a time. environment-lock.ts is
// the side of the runs that take it.
//
// It ends as soon as nobody holds it and nobody waits: the next request
// starts a new run, on the task queue of the worker that asked. A holder
// that dies without giving it back (a run terminated by hand: no `finally`
// runs) is found by asking, every few minutes, whether it still runs.
// A lock does no I/O of its own: only signals, and that one question.
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { quickActivities } from './activity-options.ts';
import { lockGrantedSignal, lockStateQuery, lockWaitingSignal, releaseLockSignal, requestLockSignal } from './definitions.ts';
import { messageOf } from './failures.ts';
import { describeHolder, describeLockState } from './lock-report.ts';
import { refusals, refuse } from './refusals.ts';
import { parseLockRequest, parseToken, type RefusedInputs } from './signal-input.ts';
import type { EnvironmentLockState, LockRequest } from './types.ts';

/** Grants per run before continuing as new: each grant and its news add a handful of events. */
const GRANTS_PER_RUN = 100;

const quick = quickActivities();

/** The lock's state, and what it refused: carried over by continue-as-new. */
type LockRun = EnvironmentLockState & { refused?: RefusedInputs };

export async function environmentLock(start: LockRun): Promise<void> {
  const { refused: carried, ...started } = start;
  const state: EnvironmentLockState = { ...started, queue: [...start.queue] };
  const refused = refusals(carried);
  let changed = false;
  // Any JSON may arrive (a person's "Send a Signal"): parsed, and refused unless it is a request for this lock.
  setHandler(requestLockSignal, (given: unknown) => {
    const parsed = parseLockRequest(given);
    if (!parsed.ok) return refuse(requestLockSignal.name, given, parsed.why);
    const request = parsed.value;
    if (request.environment !== state.environment) return refuse(requestLockSignal.name, given, `a request for ${request.environment}'s lock, not ${state.environment}'s`);
    // Asked again (a waiting run asks every few minutes): already known.
    if (state.holder?.token === request.token || state.queue.some((r) => r.token === request.token)) return;
    state.queue.push(request);
    changed = true;
  });
  setHandler(releaseLockSignal, (given: unknown) => {
    const parsed = parseToken(given);
    if (!parsed.ok) return refuse(releaseLockSignal.name, given, parsed.why);
    const token = parsed.value;
    if (state.holder?.token === token) state.holder = undefined;
    // A run that gave up waiting (cancelled) withdraws its request.
    else state.queue = state.queue.filter((r) => r.token !== token);
    changed = true;
  });
  setHandler(lockStateQuery, () => state);

  /** What each waiting run was last told (holder and place), so it is told only what changed. */
  const told = new Map<string, string>();
  let grants = 0;
  let lastCheck = { token: '', at: 0 };
  let published = '';

  for (;;) {
    changed = false;
    while (!state.holder && state.queue.length > 0) {
      await grantNext(state);
      grants++;
    }
    await tellWaiters(state, told);
    published = publish(state, published);
    if (!state.holder) {
      // Free, and nobody waits: done. A request that arrives meanwhile is not
      // lost: the server refuses to close a run with a signal it has not seen.
      if (state.queue.length === 0) return;
      // Given back while the waiting runs were being told: the next one's turn.
      continue;
    }
    if (grants >= GRANTS_PER_RUN || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof environmentLock>(refused.total ? { ...state, refused } : state);

    const holder = state.holder;
    const since = lastCheck.token === holder.token ? lastCheck.at : holder.grantedAt;
    const checkIn = since + state.holderCheckSeconds * 1000 - Date.now();
    if (await condition(() => changed, Math.max(1, checkIn))) continue;
    lastCheck = { token: holder.token, at: Date.now() };
    if (!(await stillRuns(holder)) && state.holder?.token === holder.token) {
      log.warn(`${describeHolder(holder)} ended without giving ${state.environment}'s lock back: taken back`);
      state.holder = undefined;
    }
  }
}

/** The first waiting run gets the lock. One that has ended since it asked cannot take it, and is passed over. */
async function grantNext(state: EnvironmentLockState): Promise<void> {
  const next = state.queue.shift()!;
  // The holder before the signal: a withdrawal that arrives meanwhile finds it.
  state.holder = { ...next, grantedAt: Date.now() };
  try {
    await getExternalWorkflowHandle(next.workflowId, next.runId).signal(lockGrantedSignal, next.token);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn(`${next.purpose} (${next.workflowId}) cannot take ${state.environment}'s lock (${messageOf(err)}): passed over`);
    if (state.holder?.token === next.token) state.holder = undefined;
  }
}

/** Each waiting run hears who holds the lock and its place, when that changed; one that has ended leaves the queue. */
async function tellWaiters(state: EnvironmentLockState, told: Map<string, string>): Promise<void> {
  const waiting = [...state.queue];
  for (const [ahead, run] of waiting.entries()) {
    const news = `${state.holder?.token}|${ahead}`;
    if (told.get(run.token) === news) continue;
    told.set(run.token, news);
    try {
      await getExternalWorkflowHandle(run.workflowId, run.runId).signal(lockWaitingSignal, { token: run.token, holder: state.holder, ahead });
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.queue = state.queue.filter((r: LockRequest) => r.token !== run.token);
    }
  }
  for (const token of told.keys()) if (!state.queue.some((r) => r.token === token)) told.delete(token);
}

/** Whether the holder still runs; when that cannot be told, it is assumed to, and asked again next time. */
async function stillRuns(holder: LockRequest): Promise<boolean> {
  try {
    return await quick.isWorkflowRunning.executeWithOptions({ summary: `does ${holder.workflowId} still run?` }, [holder.workflowId, holder.runId]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return true;
  }
}

/**
 * The state in the memo (a run that replaces this one, lost or ended by
 * hand, starts from it: its holder may still run) and in the Web UI's
 * details. Written only when it changed.
 */
function publish(state: EnvironmentLockState, published: string): string {
  const now = JSON.stringify(state);
  if (now !== published) {
    upsertMemo({ state });
    setCurrentDetails(describeLockState(state));
  }
  return now;
}
