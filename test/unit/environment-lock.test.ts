// The environment lock's logic on the real Temporal test server: the lock
// workflow and the helper runs take it with (src/workflows/lock.ts,
// environment-lock.ts), their real activities, and runs that hold it around
// one fake activity the test lets finish. Judged from what the runs did and
// when (the order they worked in), and from the lock's own history.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { environmentLockActivities } from '../../src/activities/lock.ts';
import { environmentLockQuery, lockStateQuery, lockWorkflowId } from '../../src/workflows/definitions.ts';
import { messageOf } from '../../src/workflows/failures.ts';
import { describeWait } from '../../src/workflows/lock-report.ts';
import type { EnvironmentLockState, LockHolder, LockStatus } from '../../src/workflows/types.ts';
import { deferred, type Deferred } from '../support/deferred.ts';
import { activityRuns } from '../support/history.ts';
import { connectTestServer, type TestServer } from '../support/test-server.ts';
import { eventually } from '../support/eventually.ts';

const TIMEOUT = 60_000;
/**
 * The lock asks whether its holder still runs after this long (180 s in
 * production): longer than any run here holds it, so that only a run that
 * died is ever found out by asking.
 */
const HOLDER_CHECK_SECONDS = 5;

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed
}

// ---------------------------------------------------------------- the work under the lock

/** Every `work` call's entry and exit, in order: "env/A in", "env/A out". */
const log: string[] = [];
const entries = new Map<string, Deferred>();
/** Resolved by the test: true makes the work fail. */
const gates = new Map<string, Deferred<boolean>>();
const slot = <T>(map: Map<string, Deferred<T>>, name: string): Deferred<T> => {
  if (!map.has(name)) map.set(name, deferred<T>());
  return map.get(name)!;
};

const activities = {
  ...environmentLockActivities({ holderCheckSeconds: HOLDER_CHECK_SECONDS, staleSeconds: 1 }),
  async work(name: string): Promise<void> {
    log.push(`${name} in`);
    slot(entries, name).resolve();
    try {
      if (await slot(gates, name).promise) throw ApplicationFailure.nonRetryable(`${name} failed`, 'Test');
    } finally {
      log.push(`${name} out`);
    }
  },
};

// ---------------------------------------------------------------- harness

let client: Client;
let server: TestServer | undefined;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `environment-lock-test-${randomUUID()}`;

beforeAll(async () => {
  server = await connectTestServer();
  client = server.client;
  worker = await Worker.create({
    connection: server.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./lock-workflows.ts', import.meta.url)),
    activities,
  });
  running = worker.run();
}, TIMEOUT);

// Work a test left waiting (a run it terminated or cancelled) ends, so the worker can stop.
afterEach(() => {
  for (const gate of gates.values()) gate.resolve(false);
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await server?.close();
});


/** One environment of its own (no other test's runs share its lock), and its runs A, B, C… */
function scenario() {
  const env = `env-${randomUUID().slice(0, 8)}`;
  const name = (who: string) => `${env}/${who}`;
  const lock = () => client.workflow.getHandle(lockWorkflowId(env));
  const start = (who: string, workflow: 'lockedWork' | 'nestedWork' = 'lockedWork') =>
    client.workflow.start(workflow, { taskQueue, workflowId: `${env}-${who}`, args: [env, name(who)] });
  type Run = Awaited<ReturnType<typeof start>>;
  const entered = (who: string) => slot(entries, name(who)).promise;
  const queued = (n: number) =>
    eventually(() => lock().query(lockStateQuery), (s: EnvironmentLockState) => s.queue.length === n, `${n} waiting for ${env}'s lock`);
  return {
    env,
    lock,
    start,
    entered,
    finish: (who: string, fail = false) => slot(gates, name(who)).resolve(fail),
    /** The work's entries and exits in this environment, in order: "A in", "A out", … */
    order: () => log.filter((l) => l.startsWith(`${env}/`)).map((l) => l.slice(env.length + 1)),
    /** Waits until `n` runs wait in the lock's queue. */
    queued,
    /** Starts the runs in turn: the first works, each next one once those before it wait. */
    async lineUp<W extends string[]>(...whos: W): Promise<{ [K in keyof W]: Run }> {
      const runs: Run[] = [];
      for (const [waiting, who] of whos.entries()) {
        runs.push(await start(who));
        await (waiting === 0 ? entered(who) : queued(waiting));
      }
      return runs as { [K in keyof W]: Run };
    },
  };
}

const failureOf = async (result: Promise<unknown>): Promise<WorkflowFailedError> => {
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return err as WorkflowFailedError;
};

// ---------------------------------------------------------------- tests

describe('the environment lock (real lock workflow, fake work)', () => {
  it(
    'grants the lock first come, first served, to one run at a time; a waiting run says whom it waits for',
    async () => {
      const s = scenario();
      const [a, b, c, d] = await s.lineUp('A', 'B', 'C', 'D');

      // C's own account: who holds it and for what, and how many are ahead.
      const [waiting] = await eventually(() => c.query(environmentLockQuery), (l: LockStatus[]) => l[0]?.ahead === 1, 'C told its place');
      expect(waiting).toMatchObject({ environment: s.env, purpose: `work ${s.env}/C`, state: 'waiting', ahead: 1 });
      expect(waiting!.holder).toMatchObject({ workflowId: a.workflowId, purpose: `work ${s.env}/A` });
      expect(describeWait(waiting!)).toMatch(new RegExp(`^waiting: ${s.env} is locked by work ${s.env}/A \\(${a.workflowId}, since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\); 1 more waiting ahead$`));
      // The lock's: A holds it, B, C and D wait in the order they asked.
      const state = await s.lock().query(lockStateQuery);
      expect(state.holder?.workflowId).toBe(a.workflowId);
      expect(state.queue.map((r) => r.workflowId)).toEqual([b.workflowId, c.workflowId, d.workflowId]);

      for (const [holder, next] of [['A', 'B'], ['B', 'C'], ['C', 'D']] as const) {
        await sleep(300); // the next one must not start while the holder still works
        expect(s.order().at(-1)).toBe(`${holder} in`);
        s.finish(holder);
        await s.entered(next);
      }
      s.finish('D');
      await Promise.all([a, b, c, d].map((h) => h.result()));

      expect(s.order()).toEqual(['A in', 'A out', 'B in', 'B out', 'C in', 'C out', 'D in', 'D out']);
      // Free, and nobody waits: the lock workflow has ended; the next request starts a new one.
      await s.lock().result();
      const [held] = await d.query(environmentLockQuery);
      expect(held).toMatchObject({ state: 'released', holder: { workflowId: c.workflowId } });
    },
    TIMEOUT,
  );

  it(
    'is given back when the work fails and when its run is cancelled; a run cancelled while waiting withdraws',
    async () => {
      const s = scenario();
      const [a, b, c, d] = await s.lineUp('A', 'B', 'C', 'D');

      await b.cancel();
      await failureOf(b.result());
      await s.queued(2);

      s.finish('A', true);
      expect(messageOf(await failureOf(a.result()))).toContain(`${s.env}/A failed`);
      await s.entered('C');

      // Cancelled while it holds the lock (its work not even finished): D gets it.
      await c.cancel();
      await failureOf(c.result());
      await s.entered('D');
      s.finish('D');
      await d.result();

      expect(s.order()).not.toContain('B in');
      expect(s.order().filter((l) => l.endsWith(' in'))).toEqual(['A in', 'C in', 'D in']);
      // Each gave it back itself: the lock never had to ask whether one still ran.
      expect((await activityRuns(s.lock())).filter((r) => r.type === 'isWorkflowRunning')).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'a holder terminated without giving it back loses it at the next check; a waiter that ended is passed over',
    async () => {
      const s = scenario();
      const [a, b, c] = await s.lineUp('A', 'B', 'C');

      await b.terminate('test: a waiting run that dies');
      await a.terminate('test: a holder that dies without giving the lock back');
      const terminatedAt = Date.now();
      await s.entered('C');
      // Within the check interval, plus the time to ask.
      expect(Date.now() - terminatedAt).toBeLessThan(HOLDER_CHECK_SECONDS * 1000 + 8_000);

      // The lock found out by asking whether A still ran.
      const checks = (await activityRuns(s.lock())).filter((r) => r.type === 'isWorkflowRunning');
      expect(checks.length).toBeGreaterThan(0);
      s.finish('C');
      await c.result();
      expect(s.order().filter((l) => l.endsWith(' in'))).toEqual(['A in', 'C in']);
    },
    TIMEOUT,
  );

  it(
    'runs that all ask at once and finish at once each get their turn, one at a time, none left waiting',
    async () => {
      const s = scenario();
      const names = [...'ABCDEFGHIJKL'];
      for (const who of names) s.finish(who);
      const runs = await Promise.all(names.map((who) => s.start(who)));
      await Promise.all(runs.map((r) => r.result()));
      const order = s.order();
      expect(order).toHaveLength(2 * names.length);
      // Each one's work ended before the next one's began.
      for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i]!.replace(/ in$/, ' out'));
      await s.lock().result();
    },
    TIMEOUT,
  );

  it(
    'two environments do not wait for each other',
    async () => {
      const [one, two] = [scenario(), scenario()];
      const a = await one.start('A');
      await one.entered('A');
      const b = await two.start('B');
      // B works while A still holds its own environment's lock.
      await two.entered('B');
      expect(one.order()).toEqual(['A in']);
      one.finish('A');
      two.finish('B');
      await Promise.all([a.result(), b.result()]);
    },
    TIMEOUT,
  );

  it(
    'taken again inside its own work, it does not wait for itself',
    async () => {
      const s = scenario();
      const n = await s.start('N', 'nestedWork');
      await s.entered('N');
      s.finish('N');
      await n.result();
      // Asked for once: the inner request is the outer one's.
      expect((await activityRuns(n)).filter((r) => r.type === 'requestEnvironmentLock')).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'a lock left on a task queue no worker serves is continued on the asker’s, with its holder, which is checked',
    async () => {
      const s = scenario();
      // What a lock run on a worker long gone left in its memo: a holder that ended too.
      const gone: LockHolder = {
        environment: s.env,
        token: 'gone',
        workflowId: `${s.env}-gone`,
        runId: randomUUID(),
        purpose: 'work of a worker long gone',
        requestedAt: Date.now(),
        grantedAt: Date.now(),
      };
      const left: EnvironmentLockState = { environment: s.env, holder: gone, queue: [], holderCheckSeconds: HOLDER_CHECK_SECONDS };
      const stale = await client.workflow.start('environmentLock', {
        taskQueue: `nobody-${s.env}`,
        workflowId: lockWorkflowId(s.env),
        args: [left],
        memo: { state: left },
      });
      await sleep(1_500); // longer than staleSeconds: its first task was never picked up

      const a = await s.start('A');
      await s.entered('A');
      expect((await client.workflow.getHandle(stale.workflowId, stale.firstExecutionRunId).describe()).status.name).toBe('TERMINATED');
      const now = await s.lock().describe();
      expect(now.runId).not.toBe(stale.firstExecutionRunId);
      expect(now.taskQueue).toBe(taskQueue);
      // The carried-over holder was asked about before A got the lock.
      const checks = (await activityRuns(s.lock())).filter((r) => r.type === 'isWorkflowRunning');
      expect(checks.length).toBeGreaterThan(0);
      s.finish('A');
      await a.result();
    },
    TIMEOUT,
  );
});
