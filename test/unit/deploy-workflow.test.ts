// The deploy runbook's logic, on the real Temporal test server, with fake
// activities: what runs in which order, what is compensated, how it ends.
// No host, no SSH, no Docker: every activity is an in-memory fake that
// records its calls.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.ts';
import type { NoticeInput } from '../../src/activities/notify.ts';
import { workflowsPath } from '../../src/worker.ts';
import { progressQuery } from '../../src/workflows/definitions.ts';
import type {
  BackupRecord,
  DeployInput,
  DeployPlan,
  DeployResult,
  HostFacts,
  RollbackPoint,
  ServiceImage,
  StepProgress,
} from '../../src/workflows/types.ts';

const TIMEOUT = 60_000;

try {
  // Once per process; a second install throws, which is fine.
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed
}

// ---------------------------------------------------------------- fixtures

function planFixture(overrides: Partial<DeployPlan> = {}): DeployPlan {
  return {
    environment: 'dev-cloud',
    kind: 'cloud',
    version: 'v2',
    host: { host: '10.0.0.5', port: 22, user: 'deploy', privateKey: '/keys/id_ed25519', connectTimeoutSeconds: 10 },
    deployDir: '/opt/smart-smoker',
    composeFileName: 'docker-compose.yml',
    composeSha256: 'a'.repeat(64),
    composeFile: '/config/docker-compose.yml',
    extraFiles: [],
    settings: { NODE_ENV: 'production' },
    secrets: { DB_PASSWORD: { env: 'DB_PASSWORD' } },
    services: {
      backend: { container: 'backend_cloud', http: 'http://localhost:3001/api/health' },
      frontend: { container: 'frontend_cloud' },
    },
    holdDuringDeploy: [],
    health: { timeoutSeconds: 60, intervalSeconds: 2, tailscale: false },
    minFreeDiskMb: 500,
    ...overrides,
  };
}

const FACTS: HostFacts = { compose: 'v2', composeVersion: '2.27.0', dockerVersion: '26.1.0', freeDiskMb: 12_000 };

const NEW_IMAGES: ServiceImage[] = [
  { service: 'backend', image: 'benjr70/smart-smoker-backend:v2', digest: `benjr70/smart-smoker-backend@sha256:${'b2'.repeat(32)}`, imageId: `sha256:${'1'.repeat(64)}` },
  { service: 'frontend', image: 'benjr70/smart-smoker-frontend:v2', digest: `benjr70/smart-smoker-frontend@sha256:${'f2'.repeat(32)}`, imageId: `sha256:${'2'.repeat(64)}` },
];

const OLD_IMAGES: ServiceImage[] = [
  { service: 'backend', image: 'benjr70/smart-smoker-backend:v1', digest: `benjr70/smart-smoker-backend@sha256:${'b1'.repeat(32)}`, imageId: `sha256:${'3'.repeat(64)}` },
  { service: 'frontend', image: 'benjr70/smart-smoker-frontend:v1', digest: null, imageId: `sha256:${'4'.repeat(64)}` },
];

const POINT: RollbackPoint = {
  existed: true,
  savedDir: '/opt/smart-smoker/.smokestack/rollback/run-1',
  savedFiles: ['docker-compose.yml', '.env', 'smokestack.pins.yml'],
  previousVersion: 'v1',
  images: OLD_IMAGES,
};

const FIRST_DEPLOY: RollbackPoint = { existed: false, savedDir: '/opt/smart-smoker/.smokestack/rollback/run-1', savedFiles: [], previousVersion: null, images: [] };

const BACKUP: BackupRecord = { path: '/opt/smart-smoker/backups/mongo-v1.archive.gz', sha256: 'c'.repeat(64), bytes: 4096 };

const INPUT: DeployInput = { environment: 'dev-cloud', version: 'v2', requestedBy: 'ci' };

const healthGateFailure = () =>
  ApplicationFailure.create({
    type: 'HealthGateFailed',
    nonRetryable: true,
    message: 'backend unhealthy',
    details: [{ unhealthy: [{ service: 'backend', container: 'backend_cloud', healthy: false, detail: 'unhealthy' }], logs: { backend: 'boom' } }],
  });

// ---------------------------------------------------------------- fakes

type Name = keyof Activities;
interface Call {
  name: Name;
  args: unknown[];
}

interface Fakes {
  activities: Activities;
  calls: Call[];
  /** Calls in order, notifications left out (they run beside the steps, so their place is not fixed). */
  names(): Name[];
  callsOf(name: Name): Call[];
  notices(): NoticeInput[];
}

/** Every activity, in memory: the defaults deploy successfully; `overrides` change one behaviour. */
function makeFakes(options: { plan?: DeployPlan; point?: RollbackPoint; overrides?: Partial<Activities> } = {}): Fakes {
  const plan = options.plan ?? planFixture();
  const point = options.point ?? POINT;
  const defaults: Activities = {
    planDeploy: async () => plan,
    notify: async () => undefined,
    preflight: async () => FACTS,
    captureRollbackPoint: async () => point,
    backupDatabase: async () => BACKUP,
    holdServices: async () => undefined,
    uploadStack: async () => undefined,
    pullImages: async () => NEW_IMAGES,
    startStack: async () => undefined,
    healthGate: async (_plan, expected) =>
      expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' })),
    releaseServices: async () => undefined,
    restoreRollbackPoint: async () => undefined,
  };
  const behaviour: Record<string, (...args: unknown[]) => Promise<unknown>> = { ...defaults, ...options.overrides } as never;
  const calls: Call[] = [];
  const activities = Object.fromEntries(
    Object.entries(behaviour).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        calls.push({ name: name as Name, args });
        return fn(...args);
      },
    ]),
  ) as unknown as Activities;
  return {
    activities,
    calls,
    names: () => calls.filter((c) => c.name !== 'notify').map((c) => c.name),
    callsOf: (name) => calls.filter((c) => c.name === name),
    notices: () => calls.filter((c) => c.name === 'notify').map((c) => c.args[0] as NoticeInput),
  };
}

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// ---------------------------------------------------------------- harness

let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  const address = inject('temporalAddress');
  nativeConnection = await NativeConnection.connect({ address });
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  await connection?.close();
  await nativeConnection?.close();
});

/** Runs `body` with a worker (its own task queue) serving the real workflow and the fakes. */
async function withWorker<T>(
  fakes: Fakes,
  body: (start: (input?: DeployInput) => Promise<WorkflowHandle>) => Promise<T>,
  workerOptions: Partial<WorkerOptions> = {},
): Promise<T> {
  const taskQueue = `deploy-workflow-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath,
    activities: fakes.activities,
    ...workerOptions,
  });
  const start = (input: DeployInput = INPUT) =>
    client.workflow.start('deploy', { taskQueue, workflowId: `deploy-test-${randomUUID()}`, args: [input] });
  return worker.runUntil(body(start));
}

/** The workflow's failure: an ApplicationFailure carrying the DeployResult. */
async function failureOf(handle: WorkflowHandle): Promise<{ type: string | undefined | null; message: string; result: DeployResult }> {
  const err = await handle.result().then(
    (value: unknown) => {
      throw new Error(`expected the deploy to fail, it returned ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const failure = cause as ApplicationFailure;
  expect(failure.nonRetryable).toBe(true);
  return { type: failure.type, message: failure.message, result: failure.details?.[0] as DeployResult };
}

const stateOf = (steps: StepProgress[]) => Object.fromEntries(steps.map((s) => [s.name, s.state]));

/** Activity types in the order the workflow scheduled them, from its history. */
async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

// ---------------------------------------------------------------- tests

describe('deploy workflow (fake activities)', () => {
  it(
    'happy path without database or held services: those three steps are skipped, the rest succeed',
    async () => {
      const fakes = makeFakes();
      const { result, history } = await withWorker(fakes, async (start) => {
        const handle = await start();
        return { result: (await handle.result()) as DeployResult, history: await scheduledActivities(handle) };
      });

      expect(result.outcome).toBe('succeeded');
      expect(result.environment).toBe('dev-cloud');
      expect(result.version).toBe('v2');
      expect(result.services).toEqual(NEW_IMAGES);
      expect(result.previousVersion).toBe('v1');
      expect(result.backup).toBeNull();
      expect(result.error).toBeUndefined();
      expect(stateOf(result.steps)).toEqual({
        plan: 'succeeded',
        preflight: 'succeeded',
        'rollback point': 'succeeded',
        'database backup': 'skipped',
        'hold services': 'skipped',
        'upload stack': 'succeeded',
        'pull images': 'succeeded',
        'start stack': 'succeeded',
        'health gate': 'succeeded',
        'release services': 'skipped',
      });
      const detail = Object.fromEntries(result.steps.map((s) => [s.name, s.detail]));
      expect(detail['database backup']).toBe('no database in this stack');
      expect(detail['hold services']).toBe('none configured');
      expect(detail['release services']).toBe('none held');
      expect(detail['health gate']).toBe('backend, frontend healthy');
      expect(detail.plan).toBe('deploy@10.0.0.5:/opt/smart-smoker');
      for (const s of result.steps.filter((x) => x.state === 'succeeded')) {
        expect(s.startedAt, s.name).toBeTypeOf('number');
        expect(s.endedAt!, s.name).toBeGreaterThanOrEqual(s.startedAt!);
      }

      expect(fakes.names()).toEqual(['planDeploy', 'preflight', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack', 'healthGate']);
      expect(fakes.callsOf('planDeploy')[0]!.args).toEqual([INPUT]);
      expect(fakes.callsOf('startStack')[0]!.args).toEqual([planFixture(), FACTS, NEW_IMAGES]);
      expect(fakes.callsOf('healthGate')[0]!.args).toEqual([planFixture(), NEW_IMAGES]);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'succeeded']);
      expect(fakes.notices()[1]).toMatchObject({ environment: 'dev-cloud', version: 'v2', requestedBy: 'ci', previousVersion: 'v1' });

      expect(history).toEqual([
        'planDeploy',
        'notify',
        'preflight',
        'captureRollbackPoint',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'notify',
      ]);
    },
    TIMEOUT,
  );

  it(
    'happy path with a database and a held service: backup, hold and release wrap upload, pull, start and health',
    async () => {
      const plan = planFixture({ database: { container: 'mongo' }, holdDuringDeploy: ['watchtower'] });
      const fakes = makeFakes({ plan });
      const exact = OLD_IMAGES;
      const result = await withWorker(fakes, async (start) => (await (await start({ ...INPUT, images: exact })).result()) as DeployResult);

      expect(result.outcome).toBe('succeeded');
      expect(result.backup).toEqual(BACKUP);
      expect(result.steps.every((s) => s.state === 'succeeded')).toBe(true);
      expect(result.steps.map((s) => s.name)).toEqual([
        'plan',
        'preflight',
        'rollback point',
        'database backup',
        'hold services',
        'upload stack',
        'pull images',
        'start stack',
        'health gate',
        'release services',
      ]);
      // The backup runs beside the rollback point, hold, upload and pull: its
      // place among them is not fixed, only that it is after preflight and
      // before the stack starts.
      const names = fakes.names();
      expect(names.filter((n) => n !== 'backupDatabase')).toEqual([
        'planDeploy',
        'preflight',
        'captureRollbackPoint',
        'holdServices',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'releaseServices',
      ]);
      expect(names.indexOf('backupDatabase')).toBeGreaterThan(names.indexOf('preflight'));
      expect(names.indexOf('backupDatabase')).toBeLessThan(names.indexOf('startStack'));
      expect(fakes.callsOf('backupDatabase')[0]!.args).toEqual([plan]);
      expect(fakes.callsOf('holdServices')[0]!.args).toEqual([plan, FACTS]);
      expect(fakes.callsOf('releaseServices')[0]!.args).toEqual([plan, FACTS]);
      // A deploy of exact images (a rollback by digest) hands them to the pull.
      expect(fakes.callsOf('pullImages')[0]!.args).toEqual([plan, FACTS, exact]);
      expect(Object.fromEntries(result.steps.map((s) => [s.name, s.detail]))['hold services']).toBe('stopped watchtower');
    },
    TIMEOUT,
  );

  it(
    'health gate fails after a rollback point: the previous version is restored and health-gated, ending rolled back',
    async () => {
      const fakes = makeFakes({
        overrides: {
          healthGate: async (_plan, expected) => {
            if (expected[0]?.digest === NEW_IMAGES[0]!.digest) throw healthGateFailure();
            return expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' }));
          },
        },
      });
      const { failure, history } = await withWorker(fakes, async (start) => {
        const handle = await start();
        return { failure: await failureOf(handle), history: await scheduledActivities(handle) };
      });

      expect(failure.type).toBe('RolledBack');
      expect(failure.message).toContain('rolled back to v1');
      expect(failure.message).toContain('backend unhealthy');
      const result = failure.result;
      expect(result.outcome).toBe('rolled-back');
      expect(result.services).toEqual(POINT.images);
      expect(result.failedService).toBe('backend');
      expect(result.error).toContain('backend unhealthy');
      expect(result.previousVersion).toBe('v1');
      expect(stateOf(result.steps)).toEqual({
        plan: 'succeeded',
        preflight: 'succeeded',
        'rollback point': 'succeeded',
        'database backup': 'skipped',
        'hold services': 'skipped',
        'upload stack': 'succeeded',
        'pull images': 'succeeded',
        'start stack': 'succeeded',
        'health gate': 'failed',
        'release services': 'skipped',
        'restore previous version': 'succeeded',
        'health gate (previous version)': 'succeeded',
      });

      expect(fakes.names()).toEqual([
        'planDeploy',
        'preflight',
        'captureRollbackPoint',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'restoreRollbackPoint',
        'healthGate',
      ]);
      expect(fakes.callsOf('restoreRollbackPoint')[0]!.args).toEqual([planFixture(), FACTS, POINT]);
      const gates = fakes.callsOf('healthGate');
      expect(gates[0]!.args[1]).toEqual(NEW_IMAGES);
      expect(gates[1]!.args[1]).toEqual(POINT.images);

      const notices = fakes.notices();
      expect(notices.map((n) => n.kind)).toEqual(['started', 'rolled-back']);
      expect(notices[1]!.reason).toContain('backend unhealthy');
      expect(notices[1]!.failedService).toBe('backend');
      expect(notices[1]!.logTail).toBe('boom');
      expect(notices[1]!.previousVersion).toBe('v1');

      // The gate failed once, non-retryable: it was not retried, and the history says so.
      expect(history.filter((n) => n === 'healthGate')).toHaveLength(2);
      expect(history.slice(-3)).toEqual(['restoreRollbackPoint', 'healthGate', 'notify']);
    },
    TIMEOUT,
  );

  it(
    'with a held service, the rollback also starts it again after the previous version is healthy',
    async () => {
      const plan = planFixture({ holdDuringDeploy: ['watchtower'] });
      let gates = 0;
      const fakes = makeFakes({
        plan,
        overrides: {
          healthGate: async (_plan, expected) => {
            if (gates++ === 0) throw healthGateFailure();
            return expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' }));
          },
        },
      });
      const failure = await withWorker(fakes, async (start) => failureOf(await start()));

      expect(failure.type).toBe('RolledBack');
      expect(fakes.names()).toEqual([
        'planDeploy',
        'preflight',
        'captureRollbackPoint',
        'holdServices',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'restoreRollbackPoint',
        'healthGate',
        'releaseServices',
      ]);
      const states = stateOf(failure.result.steps);
      expect(states['release services']).toBe('skipped');
      expect(states['release services (previous version)']).toBe('succeeded');
    },
    TIMEOUT,
  );

  it(
    'restore fails: the deploy ends rollback-failed, loudly',
    async () => {
      const fakes = makeFakes({
        overrides: {
          healthGate: async () => {
            throw healthGateFailure();
          },
          restoreRollbackPoint: async () => {
            throw ApplicationFailure.nonRetryable('compose up of the previous version failed: no space left on device', 'RestoreFailed');
          },
        },
      });
      const failure = await withWorker(fakes, async (start) => failureOf(await start()));

      expect(failure.type).toBe('RollbackFailed');
      expect(failure.message).toContain('ROLLBACK FAILED');
      expect(failure.result.outcome).toBe('rollback-failed');
      expect(failure.result.failedService).toBe('backend');
      const states = stateOf(failure.result.steps);
      expect(states['health gate']).toBe('failed');
      expect(states['restore previous version']).toBe('failed');
      expect(failure.result.steps.find((s) => s.name === 'restore previous version')!.detail).toContain('no space left on device');

      expect(fakes.names()).toEqual([
        'planDeploy',
        'preflight',
        'captureRollbackPoint',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'restoreRollbackPoint',
      ]);
      // RestoreFailed is not worth retrying.
      expect(fakes.callsOf('restoreRollbackPoint')).toHaveLength(1);
      const notices = fakes.notices();
      expect(notices.map((n) => n.kind)).toEqual(['started', 'rollback-failed']);
      expect(notices[1]!.reason).toContain('backend unhealthy');
    },
    TIMEOUT,
  );

  it(
    'first deploy (nothing to roll back to) and the start fails: failed, no restore attempted',
    async () => {
      const fakes = makeFakes({
        point: FIRST_DEPLOY,
        overrides: {
          startStack: async () => {
            throw ApplicationFailure.nonRetryable('compose up failed: port 3001 already allocated', 'StartFailed');
          },
        },
      });
      const failure = await withWorker(fakes, async (start) => failureOf(await start()));

      expect(failure.type).toBe('DeployFailed');
      expect(failure.message).toContain('port 3001 already allocated');
      expect(failure.result.outcome).toBe('failed');
      expect(failure.result.error).toContain('port 3001 already allocated');
      expect(failure.result.previousVersion).toBeNull();
      expect(failure.result.failedService).toBeUndefined();
      const states = stateOf(failure.result.steps);
      expect(states['start stack']).toBe('failed');
      expect(states['health gate']).toBe('skipped');
      expect(failure.result.steps.find((s) => s.name === 'health gate')!.detail).toBe('nothing to roll back to: first deploy');
      expect(failure.result.steps.map((s) => s.name)).not.toContain('restore previous version');

      expect(fakes.callsOf('restoreRollbackPoint')).toHaveLength(0);
      expect(fakes.callsOf('startStack')).toHaveLength(1);
      expect(fakes.names()).toEqual(['planDeploy', 'preflight', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack']);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'failed']);
    },
    TIMEOUT,
  );

  it(
    'plan refuses the input (non-retryable): failed, nothing else runs, no retry',
    async () => {
      const fakes = makeFakes({
        overrides: {
          planDeploy: async () => {
            throw ApplicationFailure.nonRetryable('version "v1;touch /pwned" is not an image tag', 'InvalidInput');
          },
        },
      });
      const { failure, history } = await withWorker(fakes, async (start) => {
        const handle = await start({ ...INPUT, version: 'v1;touch /pwned' });
        return { failure: await failureOf(handle), history: await scheduledActivities(handle) };
      });

      expect(failure.type).toBe('DeployFailed');
      expect(failure.message).toContain('is not an image tag');
      expect(failure.result.outcome).toBe('failed');
      expect(failure.result.services).toEqual([]);
      const states = stateOf(failure.result.steps);
      expect(states.plan).toBe('failed');
      expect(Object.entries(states).filter(([name]) => name !== 'plan').every(([, state]) => state === 'skipped')).toBe(true);

      expect(fakes.names()).toEqual(['planDeploy']);
      expect(fakes.callsOf('planDeploy')).toHaveLength(1);
      expect(history).toEqual(['planDeploy']);
    },
    TIMEOUT,
  );

  // A refused request touched nothing: Discord hears nothing of it.
  it(
    'plan refuses the input: no notification at all',
    async () => {
      const fakes = makeFakes({
        overrides: {
          planDeploy: async () => {
            throw ApplicationFailure.nonRetryable('version "v1;touch /pwned" is not an image tag', 'InvalidInput');
          },
        },
      });
      await withWorker(fakes, async (start) => failureOf(await start({ ...INPUT, version: 'v1;touch /pwned' })));
      expect(fakes.notices()).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'a retryable failure (a plain Error, twice) is retried and the deploy succeeds',
    async () => {
      let uploads = 0;
      const fakes = makeFakes({
        overrides: {
          uploadStack: async () => {
            if (++uploads <= 2) throw new Error(`connection reset (attempt ${uploads})`);
          },
        },
      });
      const { result, attempts } = await withWorker(fakes, async (start) => {
        const handle = await start();
        const result = (await handle.result()) as DeployResult;
        const history = await handle.fetchHistory();
        // Retries are not separate events: the started event records the attempt that completed.
        const attempts = (history.events ?? []).flatMap((e) => {
          const a = e.activityTaskStartedEventAttributes;
          return a ? [a.attempt ?? 1] : [];
        });
        return { result, attempts };
      });

      expect(result.outcome).toBe('succeeded');
      expect(fakes.callsOf('uploadStack')).toHaveLength(3);
      expect(fakes.names()).toEqual([
        'planDeploy',
        'preflight',
        'captureRollbackPoint',
        'uploadStack',
        'uploadStack',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
      ]);
      expect(Math.max(...attempts)).toBe(3);
      expect(stateOf(result.steps)['upload stack']).toBe('succeeded');
    },
    TIMEOUT,
  );

  it(
    'notify always throws: the deploy still succeeds, and each notice is tried once',
    async () => {
      const fakes = makeFakes({
        overrides: {
          notify: async () => {
            throw new Error('discord is down');
          },
        },
      });
      const result = await withWorker(fakes, async (start) => (await (await start()).result()) as DeployResult);

      expect(result.outcome).toBe('succeeded');
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'succeeded']);
      expect(fakes.names()).toEqual(['planDeploy', 'preflight', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack', 'healthGate']);
    },
    TIMEOUT,
  );

  it(
    'cancelled during start: the activity is cancelled, the previous version restored and health-gated',
    async () => {
      const startCalled = deferred();
      const startEnded = deferred<unknown>();
      const fakes = makeFakes({
        overrides: {
          startStack: async () => {
            startCalled.resolve();
            const ctx = Context.current();
            try {
              for (;;) {
                ctx.heartbeat();
                await Promise.race([ctx.cancelled, sleep(200)]);
              }
            } catch (err) {
              startEnded.resolve(err);
              throw err;
            }
          },
        },
      });
      const { failure, activityError } = await withWorker(
        fakes,
        async (start) => {
          const handle = await start();
          await startCalled.promise;
          await handle.cancel();
          const failure = await failureOf(handle);
          return { failure, activityError: await startEnded.promise };
        },
        // Deliver the cancellation on the next heartbeat, not the throttled one 16s later.
        { maxHeartbeatThrottleInterval: '200ms' },
      );

      // The fake saw the cancellation on a heartbeat. The workflow does not wait for the
      // activity to acknowledge it (TRY_CANCEL) and may already have finished the
      // rollback, in which case the server answers NOT_FOUND rather than CANCELLED.
      expect(activityError).toBeInstanceOf(CancelledFailure);
      expect(['CANCELLED', 'NOT_FOUND']).toContain((activityError as CancelledFailure).message);

      expect(failure.type).toBe('RolledBack');
      expect(failure.message).toContain('cancelled');
      expect(failure.result.outcome).toBe('rolled-back');
      // Only the prefix says why: the innermost cause of a cancellation has an empty message.
      expect(failure.result.error).toMatch(/^cancelled: /);
      expect(failure.result.services).toEqual(POINT.images);
      const states = stateOf(failure.result.steps);
      expect(states['start stack']).toBe('failed');
      expect(states['health gate']).toBe('skipped');
      expect(states['restore previous version']).toBe('succeeded');
      expect(states['health gate (previous version)']).toBe('succeeded');

      expect(fakes.names()).toEqual([
        'planDeploy',
        'preflight',
        'captureRollbackPoint',
        'uploadStack',
        'pullImages',
        'startStack',
        'restoreRollbackPoint',
        'healthGate',
      ]);
      expect(fakes.callsOf('healthGate')[0]!.args[1]).toEqual(POINT.images);
      const notices = fakes.notices();
      expect(notices.map((n) => n.kind)).toEqual(['started', 'rolled-back']);
      expect(notices[1]!.reason).toContain('cancelled');
    },
    TIMEOUT,
  );

  it(
    'the progress query shows the running step while it runs, and the finished runbook after',
    async () => {
      const gateCalled = deferred();
      const release = deferred();
      const fakes = makeFakes({
        overrides: {
          healthGate: async (_plan, expected) => {
            gateCalled.resolve();
            await release.promise;
            return expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' }));
          },
        },
      });
      const { during, after } = await withWorker(fakes, async (start) => {
        const handle = await start();
        await gateCalled.promise;
        const during = await handle.query(progressQuery);
        release.resolve();
        await handle.result();
        const after = await handle.query(progressQuery);
        return { during, after };
      });

      expect(during).toMatchObject({ environment: 'dev-cloud', version: 'v2', previousVersion: 'v1', phase: 'deploying' });
      expect(during.outcome).toBeUndefined();
      const gate = during.steps.find((s) => s.name === 'health gate')!;
      expect(gate.state).toBe('running');
      expect(gate.startedAt).toBeTypeOf('number');
      expect(gate.endedAt).toBeUndefined();
      expect(stateOf(during.steps)).toEqual({
        plan: 'succeeded',
        preflight: 'succeeded',
        'rollback point': 'succeeded',
        'database backup': 'skipped',
        'hold services': 'skipped',
        'upload stack': 'succeeded',
        'pull images': 'succeeded',
        'start stack': 'succeeded',
        'health gate': 'running',
        'release services': 'pending',
      });

      expect(after.phase).toBe('done');
      expect(after.outcome).toBe('succeeded');
      const ended = after.steps.find((s) => s.name === 'health gate')!;
      expect(ended.state).toBe('succeeded');
      expect(ended.startedAt).toBe(gate.startedAt);
      expect(ended.endedAt!).toBeGreaterThanOrEqual(gate.startedAt!);
    },
    TIMEOUT,
  );

  it(
    'the database backup runs beside the rollback point, upload and pull, not before them',
    async () => {
      const plan = planFixture({ database: { container: 'mongo' } });
      const pulling = deferred();
      const fakes = makeFakes({
        plan,
        overrides: {
          // Finishes only once the pull has begun: a backup that runs alone fails the deploy.
          backupDatabase: async () => {
            const beside = await Promise.race([pulling.promise.then(() => true), sleep(5000).then(() => false)]);
            if (!beside) throw ApplicationFailure.nonRetryable('the backup ran alone: the pull never started beside it', 'Test');
            return BACKUP;
          },
          pullImages: async () => {
            pulling.resolve();
            return NEW_IMAGES;
          },
        },
      });
      const result = await withWorker(fakes, async (start) => (await (await start()).result()) as DeployResult);
      expect(result.outcome).toBe('succeeded');
      expect(result.backup).toEqual(BACKUP);
      // Both ended before the stack was started.
      const ended = (name: string) => result.steps.find((s) => s.name === name)!.endedAt!;
      const started = result.steps.find((s) => s.name === 'start stack')!.startedAt!;
      expect(ended('database backup')).toBeLessThanOrEqual(started);
      expect(ended('pull images')).toBeLessThanOrEqual(started);
    },
    TIMEOUT,
  );

  it(
    'the running version fails its own health check: refused at preflight, nothing on the host changed',
    async () => {
      const fakes = makeFakes({
        overrides: {
          preflight: async () => {
            throw ApplicationFailure.nonRetryable(
              'the running version fails its own health check: backend (GET http://localhost:3001/api/health -> 404): fix the configuration, or pass --allow-unhealthy-current',
              'CurrentVersionUnhealthy',
            );
          },
        },
      });
      const { result, message } = await withWorker(fakes, async (start) => failureOf(await start()));
      expect(result.outcome).toBe('failed');
      expect(result.failureType).toBe('CurrentVersionUnhealthy');
      expect(message).toContain('backend (GET http://localhost:3001/api/health -> 404)');
      expect(fakes.names()).toEqual(['planDeploy', 'preflight']);
      expect(fakes.callsOf('preflight')[0]!.args[1]).toEqual({});
    },
    TIMEOUT,
  );

  it(
    'allowed to replace an unhealthy version: a failed deploy restores it by digest, does not gate it, and ends failed',
    async () => {
      const fakes = makeFakes({
        overrides: {
          preflight: async () => ({ ...FACTS, current: 'unhealthy', currentProblems: 'backend (GET /api/health -> 404)' }),
          healthGate: async () => {
            throw healthGateFailure();
          },
        },
      });
      const { result, message } = await withWorker(fakes, async (start) => failureOf(await start({ ...INPUT, allowUnhealthyCurrent: true })));
      expect(fakes.callsOf('preflight')[0]!.args[1]).toEqual({ allowUnhealthyCurrent: true });
      expect(result.outcome).toBe('failed');
      expect(message).toContain('v1 was restored by digest, unhealthy as before');
      expect(fakes.callsOf('restoreRollbackPoint')).toHaveLength(1);
      expect(fakes.callsOf('healthGate')).toHaveLength(1); // the new version's only
      expect(result.services).toEqual(OLD_IMAGES);
      const gate = result.steps.find((s) => s.name === 'health gate (previous version)')!;
      expect(gate.state).toBe('skipped');
      expect(gate.detail).toContain('it was unhealthy before the deploy');
    },
    TIMEOUT,
  );
});
