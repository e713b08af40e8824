// Any input, no wedge: every signal and update of every workflow takes ANY
// JSON. A wrong shape is refused (and recorded where the workflow keeps
// refusals), never thrown on: a signal handler that throws fails its
// workflow task on every retry, and the run is stuck for good.
//
// On the real Temporal test server, with fake activities: each registered
// workflow that has handlers is brought to where it waits, then sent random
// JSON (fast-check: numbers, null, arrays, nested objects, huge strings,
// objects with the right keys holding the wrong things, no argument, one
// too many) on each of its signals and updates. After that it must still
// answer its query, end the way it normally ends, and its history must hold
// no failed workflow task. FUZZ_SEED=n sends a failed run's values again.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { environmentLockActivities } from '../../src/activities/lock.ts';
import { noticeEmbed } from '../../src/activities/notify/discord.ts';
import { workflowsPath } from '../../src/worker.ts';
import * as definitions from '../../src/workflows/definitions.ts';
import {
  deviceProgressQuery,
  environmentLockQuery,
  lockStateQuery,
  lockWorkflowId,
  promotionProgressQuery,
  refusedInputQuery,
} from '../../src/workflows/definitions.ts';
import * as workflows from '../../src/workflows/index.ts';
import { REFUSALS_KEPT } from '../../src/workflows/signal-input.ts';
import type {
  DeployPlan,
  DeployResult,
  DeviceReport,
  HostFacts,
  LockStatus,
  Notice,
  PromotionPlan,
  RollbackPoint,
  RunningStack,
  ServiceImage,
} from '../../src/workflows/types.ts';
import { listRuns } from '../support/history.ts';
import { connectTestServer, notifierEnded, type TestServer } from '../support/test-server.ts';
import { eventually } from '../support/eventually.ts';
import { fakeDeployPlan } from '../support/fake-plans.ts';

const EventType = proto.temporal.api.enums.v1.EventType;
const Cause = proto.temporal.api.enums.v1.WorkflowTaskFailedCause;

const TIMEOUT = 60_000;
/** Random values sent to each signal and update, besides the fixed edge cases. */
const RUNS = 25;
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

try {
  // Every refusal is logged as a warning: hundreds here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed
}

// ---------------------------------------------------------------- what must be covered

type Registered = keyof typeof workflows;
/** A signal or an update, as "signal lock-request", "update approve". */
type Handler = `${'signal' | 'update'} ${string}`;

const LOCK_HOLDER: Handler[] = ['signal lock-granted', 'signal lock-waiting'];

/**
 * Every workflow the worker registers, and the signals and updates it takes.
 * A workflow added to src/workflows/index.ts does not compile here until it
 * is listed; one listed with handlers must be fuzzed by a test below.
 */
const HANDLERS: Record<Registered, Handler[]> = {
  deploy: LOCK_HOLDER,
  backup: LOCK_HOLDER,
  restore: LOCK_HOLDER,
  validateBackup: LOCK_HOLDER,
  migrate: LOCK_HOLDER,
  environmentLock: ['signal lock-request', 'signal lock-release'],
  notifier: ['signal notice'],
  deviceUpdate: ['signal device-online'],
  promote: ['signal approve', 'signal reject', 'update approve', 'update reject'],
  databaseUsers: [],
  backupInventory: [],
  keepSource: [],
};

/** The workflows each test below fuzzes. */
const COVERED_BY: Record<string, Registered[]> = {
  lock: ['environmentLock', 'deploy', 'backup', 'restore', 'validateBackup', 'migrate'],
  notifier: ['notifier'],
  device: ['deviceUpdate'],
  promotion: ['promote'],
};

/** What each run was sent, by workflow type: checked against HANDLERS once it has been. */
const fuzzed = new Map<string, Set<Handler>>();

// ---------------------------------------------------------------- fakes

const BACKEND = 'benjr70/smart-smoker-backend';
const sha = (c: string) => `sha256:${c.repeat(64)}`;

const planFor = (environment: string): DeployPlan => fakeDeployPlan(environment);

const FACTS: HostFacts = { compose: 'v2', composeVersion: '2.27.0', dockerVersion: '26.1.0', freeDiskMb: 12_000 };
const IMAGES: ServiceImage[] = [{ service: 'backend', image: `${BACKEND}:nightly`, digest: `${BACKEND}@${sha('b')}`, imageId: `sha256:${'1'.repeat(64)}` }];
const FIRST_DEPLOY: RollbackPoint = { existed: false, savedDir: '/opt/smart-smoker/.smokestack/rollback/run-1', savedFiles: [], previousVersion: null, images: [] };

/** Environments whose deploys hold the lock in their rollback point step until the test lets them go. */
const held = new Map<string, { open: boolean }>();
/** Device hosts that answer a probe. */
const online = new Set<string>();
/** Notices that did not render (Discord's embed): none may reach delivery. */
const unrendered: string[] = [];
const delivered: Notice[] = [];

const promotionPlan = (release: string, approver: string): PromotionPlan => ({
  release,
  from: ['dev-cloud'],
  to: 'prod-cloud',
  devices: [],
  hosts: { 'prod-cloud': planFor('prod-cloud').host },
  registry: { url: 'http://registry.invalid' },
  repositories: [BACKEND],
  approvers: [approver],
  allowSelfApproval: false,
  approvalTimeoutSeconds: 3600,
  reminderSeconds: 3600,
  funnel: [],
  deviceWait: { limitSeconds: 3600, probeMaxSeconds: 60 },
  rollout: { strategy: 'immediate', batchSize: 1, pauseSeconds: 0, maxFailures: 0, concurrency: 1 },
});
/** The name of the one approver: no random string is it, so no fuzzed answer stands. */
const APPROVER = `approver-${randomUUID()}`;

const activities = {
  ...environmentLockActivities(),
  planDeploy: async (input: { environment: string }) => planFor(input.environment),
  preflight: async () => FACTS,
  captureRollbackPoint: async (plan: DeployPlan) => {
    // Holds the lock, beating so the server knows it lives.
    while (held.get(plan.environment)?.open === false) {
      Context.current().heartbeat();
      await sleep(200);
    }
    return FIRST_DEPLOY;
  },
  backupDatabase: async () => null,
  holdServices: async () => undefined,
  uploadStack: async () => undefined,
  pullImages: async () => IMAGES,
  startStack: async () => undefined,
  healthGate: async (_plan: DeployPlan, expected: ServiceImage[]) => expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' })),
  releaseServices: async () => undefined,
  restoreRollbackPoint: async () => undefined,
  pruneHost: async () => ({ removed: [], kept: 5 }),
  smokeTest: async () => [],
  notify: async (notice: Notice) => {
    delivered.push(notice);
    try {
      const { run: _run, ...shown } = notice;
      noticeEmbed({ ...shown, runUrl: 'http://temporal.invalid/run' });
    } catch (err) {
      unrendered.push(`${JSON.stringify(notice).slice(0, 200)}: ${(err as Error).message}`);
    }
  },
  probeHost: async (host: { host: string }) => ({ online: online.has(host.host), detail: online.has(host.host) ? 'docker 26.1.0' : 'no route to host' }),
  planMigration: async (input: { from: string; to: string }) => ({
    source: { environment: input.from, host: { host: `${input.from}.invalid` } },
    target: { environment: input.to, host: { host: `${input.to}.invalid` } },
    smokeCheck: { path: '/api/{collection}', collection: 'smokes' },
    keepSeconds: 86_400,
    checks: [],
  }),
  planPromotion: async (input: { release: string }) => promotionPlan(input.release, APPROVER),
  inspectRunning: async (plan: DeployPlan): Promise<RunningStack> => ({ environment: plan.environment, version: 'nightly', images: IMAGES, healthy: true }),
  lastDeploys: async (environments: string[]) => environments.map((environment) => ({ environment, outcome: 'succeeded', version: 'nightly', services: IMAGES })),
  readTags: async (_registry: unknown, repositories: string[]) => Object.fromEntries(repositories.map((r) => [r, null])),
  resolveDigests: async () => [],
};

// ---------------------------------------------------------------- random input

const anyJson = fc.jsonValue({ maxDepth: 3 });
const huge = fc.tuple(fc.constantFrom('x', 'é', '😀', '\u0000'), fc.integer({ min: 10_000, max: 50_000 })).map(([c, n]) => c.repeat(n));
/** Anything: JSON of every kind, huge strings, and values that trip naive code. */
const wrong = fc.oneof(
  { weight: 5, arbitrary: anyJson },
  { weight: 1, arbitrary: huge },
  { weight: 2, arbitrary: fc.constantFrom(null, [], {}, 0, -1, 1e308, '', true, 'toString', '__proto__', { toString: 1 }, { valueOf: {} }) },
);

type Shape = Record<string, fc.Arbitrary<unknown>>;
/** An object with the right keys, each holding a right value or a wrong one, some left out. */
const shaped = (right: Shape) =>
  fc.record(Object.fromEntries(Object.entries(right).map(([key, value]) => [key, fc.oneof(value, wrong)])), { requiredKeys: [] });

/** The arguments sent: mostly one value, sometimes none, sometimes one too many. */
function argsFor(right: Shape | undefined): fc.Arbitrary<unknown[]> {
  const value = right ? fc.oneof({ weight: 2, arbitrary: wrong }, { weight: 3, arbitrary: shaped(right) }) : wrong;
  const one: fc.Arbitrary<unknown[]> = value.map((v) => [v]);
  const none: fc.Arbitrary<unknown[]> = fc.constant([]);
  const tooMany: fc.Arbitrary<unknown[]> = fc.tuple(value, anyJson).map(([v, extra]) => [v, extra]);
  return fc.oneof({ weight: 8, arbitrary: one }, { weight: 1, arbitrary: none }, { weight: 1, arbitrary: tooMany });
}

/** Sent to every handler, whatever the random values are. */
const EDGES: unknown[][] = [[], [null], [0], ['nope'], [[]], [{}], [true], [{ toString: 1 }], ['h'.repeat(50_000)], [null, null]];

/** A seed of its own for each workflow's handler, so that FUZZ_SEED replays one test alone (-t) as well. */
const seedOf = (what: string): number => [...what].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, SEED);

/** The values one handler is sent: the edge cases, then RUNS random ones (seeded: FUZZ_SEED replays them). */
const valuesFor = (what: string, right?: Shape): unknown[][] => [...EDGES, ...fc.sample(argsFor(right), { numRuns: RUNS, seed: seedOf(what) })];

const show = (args: unknown[]) => {
  const json = JSON.stringify(args);
  return json.length > 120 ? `${json.slice(0, 120)}…` : json;
};

// ---------------------------------------------------------------- harness

let client: Client;
let server: TestServer | undefined;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `handler-fuzz-${randomUUID()}`;
const tag = randomUUID().slice(0, 8);

beforeAll(async () => {
  server = await connectTestServer();
  client = server.client;
  worker = await Worker.create({ connection: server.nativeConnection, namespace: 'default', taskQueue, workflowsPath, activities });
  running = worker.run();
}, TIMEOUT);

afterAll(async () => {
  for (const gate of held.values()) gate.open = true;
  worker?.shutdown();
  await running;
  await server?.close();
});


const start = (type: Registered, workflowId: string, args: unknown[]) => client.workflow.start(type, { taskQueue, workflowId, args });

/**
 * A failed workflow task in the run's history, with the signals or updates
 * its task was given: how the run was wedged, and by what. Not one the
 * server failed because a signal arrived while the run was completing
 * (UnhandledCommand): the task is tried again with that signal, as designed.
 */
async function taskFailure(handle: WorkflowHandle): Promise<string | undefined> {
  const events = (await handle.fetchHistory()).events ?? [];
  const failed = events.findIndex(
    (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED && e.workflowTaskFailedEventAttributes?.cause !== Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  );
  if (failed < 0) return undefined;
  const text = (data?: Uint8Array | null) => (data ? Buffer.from(data).toString('utf8').slice(0, 120) : '');
  // What arrived since the last task that completed.
  let since = failed;
  while (since > 0 && events[since - 1]!.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) since--;
  const before = events
    .slice(since, failed)
    .flatMap((e) => {
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal) return [`signal ${signal.signalName} ${(signal.input?.payloads ?? []).map((p) => text(p.data)).join(', ')}`];
      const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      if (update) return [`update ${update.input?.name} ${(update.input?.args?.payloads ?? []).map((p) => text(p.data)).join(', ')}`];
      return [];
    })
    .slice(-3);
  const attributes = events[failed]!.workflowTaskFailedEventAttributes;
  const cause = Cause[attributes?.cause ?? 0]?.replace('WORKFLOW_TASK_FAILED_CAUSE_', '');
  return `${handle.workflowId}: workflow task failed (${cause}: ${attributes?.failure?.message}) after ${before.join(' | ') || 'no signal'} (FUZZ_SEED=${SEED})`;
}

/** Waits until the run has taken in everything sent to it; fails at once on a failed workflow task. */
async function settled(handle: WorkflowHandle): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const task = (await handle.describe()).raw.pendingWorkflowTask;
    // A task tried more than once has failed: say how.
    if (!task || (task.attempt ?? 1) > 1) {
      const failure = await taskFailure(handle);
      if (failure) throw new Error(failure);
      if (!task) return;
    }
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} never took in what it was sent (FUZZ_SEED=${SEED})`);
    await sleep(100);
  }
}

/** An update that does not answer in time: the run is wedged (its validator cannot even run). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms (FUZZ_SEED=${SEED})`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Target {
  handler: Handler;
  /** Right values for its keys: the shaped inputs mix them with wrong ones. */
  right?: Shape;
}

/** Sends each target its values, in turn; the run must take them all in without a failed task. */
async function fuzz(type: Registered, handle: WorkflowHandle, targets: Target[]): Promise<void> {
  const sent = fuzzed.get(type) ?? new Set<Handler>();
  fuzzed.set(type, sent);
  for (const { handler, right } of targets) {
    const [kind, name] = handler.split(' ') as ['signal' | 'update', string];
    for (const args of valuesFor(`${handle.workflowId.replace(tag, '')} ${handler}`, right)) {
      if (kind === 'signal') {
        await handle.signal(name, ...args);
      } else {
        // Refused by its validator (or answered): either way it must answer.
        await within(
          handle.executeUpdate(name, { args: args as [unknown] }).catch(() => undefined),
          15_000,
          `${handle.workflowId}: update ${name} ${show(args)}`,
        );
      }
    }
    sent.add(handler);
    await settled(handle);
  }
}

/** What the run refused: every handler fuzzed here was sent null at least, and refusals are kept within their cap. */
async function refusedBy(handle: WorkflowHandle): Promise<number> {
  const refused = await handle.query(refusedInputQuery);
  expect(refused.newest.length).toBeLessThanOrEqual(REFUSALS_KEPT);
  expect(refused.newest.length).toBe(Math.min(refused.total, REFUSALS_KEPT));
  return refused.total;
}

/** No failed workflow task in any run started on this test's task queue since `since`: children and notifiers included. */
async function noTaskFailedSince(since: Date): Promise<void> {
  const failures: string[] = [];
  let runs = 0;
  for await (const run of listRuns(client, `TaskQueue = '${taskQueue}' AND StartTime >= '${since.toISOString()}'`)) {
    runs++;
    const failure = await taskFailure(client.workflow.getHandle(run.workflowId, run.runId));
    if (failure) failures.push(failure);
  }
  expect(runs, 'runs listed on the task queue').toBeGreaterThan(0);
  expect(failures).toEqual([]);
}

const holderOf = (environment: string) =>
  fc.record({
    environment: fc.constant(environment),
    token: fc.uuid(),
    workflowId: fc.string({ maxLength: 20 }).map((s) => `fuzz-nobody-${s}`),
    runId: fc.uuid(),
    purpose: fc.string(),
    requestedAt: fc.integer({ min: 0, max: 2 ** 42 }),
    grantedAt: fc.integer({ min: 0, max: 2 ** 42 }),
  });

// ---------------------------------------------------------------- tests

describe('every signal and update takes any JSON: refused, never thrown on', () => {
  it('covers every registered workflow that has signals or updates, and every signal and update defined', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual(Object.keys(workflows).sort());
    const withHandlers = (Object.keys(HANDLERS) as Registered[]).filter((type) => HANDLERS[type].length > 0).sort();
    expect([...new Set(Object.values(COVERED_BY).flat())].sort()).toEqual(withHandlers);
    // A signal or update defined and taken by no workflow listed here: a handler nobody fuzzes.
    const defined = (Object.values(definitions) as unknown[])
      .filter((d): d is { type: 'signal' | 'update'; name: string } => typeof d === 'object' && d !== null && 'type' in d && (d.type === 'signal' || d.type === 'update'))
      .map((d) => `${d.type} ${d.name}`);
    const listed = new Set(Object.values(HANDLERS).flat());
    expect(defined.filter((h) => !listed.has(h as Handler))).toEqual([]);
    expect([...listed].filter((h) => !defined.includes(h))).toEqual([]);
  });

  it(
    'the environment lock, a deploy that holds it, and a deploy, backup, restore, validation and migration that wait for it',
    async () => {
      const began = new Date();
      const env = `fuzz-${tag}`;
      held.set(env, { open: false });
      const holder = await start('deploy', `${env}-deploy-a`, [{ environment: env, version: 'v2', requestedBy: 'ci' }]);
      await eventually(() => holder.query(environmentLockQuery), (l: LockStatus[]) => l[0]?.state === 'held', 'the first deploy holds the lock');
      const lock = client.workflow.getHandle(lockWorkflowId(env));
      const waiting: [Registered, WorkflowHandle][] = [];
      // One after the other, so that they wait in this order.
      for (const [type, who, input] of [
        ['deploy', 'deploy-b', { environment: env, version: 'v3', requestedBy: 'ci' }],
        ['backup', 'backup', { environment: env, trigger: 'manual' }],
        ['restore', 'restore', { environment: env, backupId: 'b1' }],
        ['validateBackup', 'validate', { environment: env }],
        ['migrate', 'migrate', { from: env, to: `${env}-target`, dryRun: true }],
      ] as const) {
        waiting.push([type, await start(type, `${env}-${who}`, [input])]);
        await eventually(() => lock.query(lockStateQuery), (s) => s.queue.length === waiting.length, `${who} waits for the lock`);
      }
      const tokens = new Map<WorkflowHandle, string>();
      for (const [, run] of waiting) {
        const [status] = await eventually(() => run.query(environmentLockQuery), (l: LockStatus[]) => l[0]?.state === 'waiting', `${run.workflowId} waits`);
        tokens.set(run, status!.token);
      }
      const [holderStatus] = await holder.query(environmentLockQuery);

      const holderTargets = (token: string): Target[] => [
        { handler: 'signal lock-granted', right: undefined },
        { handler: 'signal lock-waiting', right: { token: fc.constant(token), holder: fc.option(holderOf(env), { nil: undefined }), ahead: fc.nat(5) } },
      ];
      await Promise.all([
        fuzz('environmentLock', lock, [
          {
            handler: 'signal lock-request',
            // A request that stands is for a run that does not exist: the lock passes it over.
            right: {
              environment: fc.constantFrom(env, 'elsewhere'),
              token: fc.uuid(),
              workflowId: fc.string({ maxLength: 20 }).map((s) => `fuzz-nobody-${s}`),
              runId: fc.uuid(),
              purpose: fc.string(),
              requestedAt: fc.integer({ min: 0, max: 2 ** 42 }),
            },
          },
          { handler: 'signal lock-release' },
        ]),
        fuzz('deploy', holder, holderTargets(holderStatus!.token)),
        ...waiting.map(([type, run]) => fuzz(type, run, holderTargets(tokens.get(run)!))),
      ]);

      // Each still answers, as it was: the holder holds, the others wait, in the order they asked.
      const state = await lock.query(lockStateQuery);
      expect(state.holder?.workflowId).toBe(holder.workflowId);
      expect(state.queue.map((r) => r.workflowId)).toEqual(waiting.map(([, run]) => run.workflowId));
      expect((await holder.query(environmentLockQuery))[0]?.state).toBe('held');
      for (const [, run] of waiting) expect((await run.query(environmentLockQuery))[0]?.state, run.workflowId).toBe('waiting');
      for (const run of [lock, holder, ...waiting.map(([, r]) => r)]) expect(await refusedBy(run), run.workflowId).toBeGreaterThan(0);

      // And each ends as it normally does: the ones cancelled while waiting withdraw, the deploys deploy, the lock ends free.
      const [deployB, ...cancelled] = waiting.map(([, run]) => run);
      for (const run of cancelled) await run.cancel();
      for (const run of cancelled) await expect(run.result(), run.workflowId).rejects.toThrow();
      held.get(env)!.open = true;
      expect(((await holder.result()) as DeployResult).outcome).toBe('succeeded');
      expect(((await deployB!.result()) as DeployResult).outcome).toBe('succeeded');
      await lock.result();
      for (const run of [holder, ...waiting.map(([, r]) => r)]) {
        const { runId } = await run.describe();
        await notifierEnded(client, run.workflowId, runId, 100);
      }
      for (const type of COVERED_BY.lock!) expect([...fuzzed.get(type)!].sort(), type).toEqual([...HANDLERS[type]].sort());
      await noTaskFailedSince(began);
    },
    TIMEOUT,
  );

  it(
    'the notifier: a notice of the wrong shape is refused, never delivered, and never breaks one delivered later',
    async () => {
      const began = new Date();
      const run = { workflowId: `fuzz-notified-${tag}`, runId: randomUUID() };
      const notice = (kind: Notice['kind']): Notice => ({ kind, environment: 'dev-cloud', version: 'v2', run, requestedBy: 'ci' });
      const notifier = await start('notifier', `fuzz-notifier-${tag}`, [notice('started'), '1 hour']);
      // Kinds that do not end the notifier (a stray end would end it early), and ones that are not kinds at all.
      const along = fc.constantFrom('started', 'approval-reminder', 'restore-started', 'maintenance-started', 'exploded', 'toString');
      await fuzz('notifier', notifier, [
        {
          handler: 'signal notice',
          right: {
            kind: along,
            environment: fc.string(),
            version: fc.string(),
            run: fc.record({ workflowId: fc.string(), runId: fc.uuid() }),
            durationSeconds: fc.double(),
            reason: fc.string(),
            logTail: fc.string(),
            smoke: fc.array(fc.record({ name: fc.string(), passed: fc.boolean(), detail: fc.string() }), { maxLength: 3 }),
          },
        },
      ]);
      expect(await refusedBy(notifier)).toBeGreaterThan(0);
      await notifier.signal('notice', notice('succeeded'));
      await notifier.result();
      // Every notice that reached delivery rendered; the last one delivered is the end.
      expect(unrendered).toEqual([]);
      expect(delivered.filter((n) => n.run?.workflowId === run.workflowId).at(-1)?.kind).toBe('succeeded');
      expect([...fuzzed.get('notifier')!]).toEqual(HANDLERS.notifier);
      expect(await taskFailure(notifier)).toBeUndefined();
      await noTaskFailedSince(began);
    },
    TIMEOUT,
  );

  it(
    'a device update waiting for its device: device-online with anything sent along still nudges, and nothing else',
    async () => {
      const began = new Date();
      const device = `fuzz-device-${tag}`;
      const host = { host: `${device}.invalid`, port: 22, user: 'pi', privateKey: '/keys/id_ed25519', connectTimeoutSeconds: 5 };
      const update = await start('deviceUpdate', `fuzz-device-update-${tag}`, [
        { device, host, release: 'v2', expectedDigests: [], wait: { limitSeconds: 3600, probeMaxSeconds: 60 } },
      ]);
      await eventually(() => update.query(deviceProgressQuery), (r: DeviceReport) => (r.probes ?? 0) >= 1, 'the device was probed');
      await fuzz('deviceUpdate', update, [{ handler: 'signal device-online' }]);
      expect((await update.query(deviceProgressQuery)).state).toBe('waiting');
      // Now it is on, and says so the way its boot hook does: the update goes on at once.
      online.add(host.host);
      await update.signal('device-online');
      expect(((await update.result()) as DeviceReport).state).toBe('updated');
      expect([...fuzzed.get('deviceUpdate')!]).toEqual(HANDLERS.deviceUpdate);
      expect(await taskFailure(update)).toBeUndefined();
      await noTaskFailedSince(began);
    },
    TIMEOUT,
  );

  it(
    'a promotion waiting for approval: answers of any shape by signal or update are refused, and it can still be cancelled',
    async () => {
      const began = new Date();
      const promotion = await start('promote', `fuzz-promote-${tag}`, [{ release: `v9.${Math.floor(Math.random() * 1000)}.0`, requestedBy: 'ci' }]);
      await eventually(() => promotion.query(promotionProgressQuery), (p) => p.phase === 'waiting for approval', 'the promotion waits for approval');
      // The keys of an answer, old (by, reason) and signed (statement, signature): no random name is the approver's.
      const answer: Shape = { by: fc.string(), reason: fc.string(), statement: fc.string(), signature: fc.string() };
      const handlers = HANDLERS.promote;
      await fuzz('promote', promotion, handlers.map((handler) => ({ handler, right: answer })));
      const progress = await promotion.query(promotionProgressQuery);
      expect(progress.phase).toBe('waiting for approval');
      expect(progress.decision).toBeUndefined();
      await promotion.cancel();
      await expect(promotion.result()).rejects.toThrow();
      const { runId } = await promotion.describe();
      await notifierEnded(client, promotion.workflowId, runId, 100);
      expect([...fuzzed.get('promote')!].sort()).toEqual([...handlers].sort());
      expect(await taskFailure(promotion)).toBeUndefined();
      await noTaskFailedSince(began);
    },
    TIMEOUT,
  );
});
