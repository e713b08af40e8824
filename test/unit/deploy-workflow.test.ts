// The deploy runbook's logic, on the real Temporal test server, with fake
// activities: what runs in which order, what is compensated, how it ends.
// No host, no SSH, no Docker: every activity is an in-memory fake that
// records its calls.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { Client, WorkflowFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.ts';
import { environmentLockActivities } from '../../src/activities/lock.ts';
import { workflowsPath } from '../../src/worker.ts';
import { progressQuery } from '../../src/workflows/definitions.ts';
import type {
  BackupRecord,
  DeployInput,
  DeployPlan,
  DeployResult,
  HostFacts,
  Notice,
  RollbackPoint,
  ServiceImage,
  SmokeTestCheck,
  StepProgress,
} from '../../src/workflows/types.ts';
import { deferred, type Deferred } from '../support/deferred.ts';
import { connectTestServer, notifierEnded, type TestServer } from '../support/test-server.ts';
import { activityRuns } from '../support/history.ts';

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
    retention: { keep: 5 },
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

const SMOKE_CHECKS: SmokeTestCheck[] = [
  { name: 'frontend page', port: 80, path: '/', expectStatus: 200, expectText: '<title>Smart Smoker</title>' },
  { name: 'api through frontend', port: 80, path: '/api/ready', expectStatus: 200 },
];

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
  /** Calls in order, notifications left out (a notifier workflow beside the run delivers them). */
  names(): Name[];
  callsOf(name: Name): Call[];
  /** Every delivery attempt of a notice, in order. */
  notices(): Notice[];
}

/** Every activity, in memory: the defaults deploy successfully; `overrides` change one behaviour. */
function makeFakes(options: { plan?: DeployPlan; point?: RollbackPoint; overrides?: Partial<Activities> } = {}): Fakes {
  const plan = options.plan ?? planFixture();
  const point = options.point ?? POINT;
  // The deploy's own activities; the promotion's are left out (the deploy never calls them).
  const defaults: Partial<Activities> = {
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
    pruneHost: async () => ({ removed: [], kept: 5 }),
    smokeTest: async (p) => (p.smoke ?? []).map((c) => ({ name: c.name, passed: true, detail: `GET :${c.port}${c.path} answered 200` })),
    // The environment lock is real: its workflow runs on the same server and worker.
    ...environmentLockActivities(),
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
    notices: () => calls.filter((c) => c.name === 'notify').map((c) => c.args[0] as Notice),
  };
}

// ---------------------------------------------------------------- harness

let nativeConnection: NativeConnection;
let client: Client;
let server: TestServer | undefined;

beforeAll(async () => {
  server = await connectTestServer();
  ({ client, nativeConnection } = server);
});

afterAll(async () => {
  await server?.close();
});

/**
 * Runs `body` with a worker (its own task queue) serving the real workflow
 * and the fakes; then keeps the worker until each run's notifier has
 * delivered its notices (they outlive the run).
 */
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
  const started: WorkflowHandleWithFirstExecutionRunId[] = [];
  const start = async (input: DeployInput = INPUT) => {
    const handle = await client.workflow.start('deploy', { taskQueue, workflowId: `deploy-test-${randomUUID()}`, args: [input] });
    started.push(handle);
    return handle;
  };
  return worker.runUntil(async () => {
    const result = await body(start);
    for (const run of started) await notifierOf(run);
    return result;
  });
}

/** Waits for a run's notifier to end, if the run had one (a refused request has none). */
const notifierOf = (run: WorkflowHandleWithFirstExecutionRunId): Promise<void> => notifierEnded(client, run.workflowId, run.firstExecutionRunId, 100);

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

const healthy = (expected: ServiceImage[]) => expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' }));
const SUCCESS_STEPS = ['planDeploy', 'preflight', 'requestEnvironmentLock', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack', 'healthGate', 'pruneHost'];
/** The same, as scheduled through the server: the prune is a local activity, recorded as a marker. */
const SCHEDULED_ON_SUCCESS = SUCCESS_STEPS.filter((n) => n !== 'pruneHost');

describe('deploy workflow (fake activities): how it succeeds', () => {
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
        lock: 'succeeded',
        'rollback point': 'succeeded',
        'database backup': 'skipped',
        'hold services': 'skipped',
        'upload stack': 'succeeded',
        'pull images': 'succeeded',
        'start stack': 'succeeded',
        'health gate': 'succeeded',
        'release services': 'skipped',
        'smoke test': 'skipped',
        prune: 'succeeded',
      });
      const detail = Object.fromEntries(result.steps.map((s) => [s.name, s.detail]));
      expect(detail['database backup']).toBe('no database in this stack');
      expect(detail['hold services']).toBe('none configured');
      expect(detail['release services']).toBe('none held');
      expect(detail['smoke test']).toBe('none configured');
      expect(result.smoke).toBeUndefined();
      expect(detail['health gate']).toBe('backend, frontend healthy');
      expect(detail.plan).toBe('deploy@10.0.0.5:/opt/smart-smoker');
      expect(detail.prune).toBe('nothing beyond the newest 5');
      for (const s of result.steps.filter((x) => x.state === 'succeeded')) {
        expect(s.startedAt, s.name).toBeTypeOf('number');
        expect(s.endedAt!, s.name).toBeGreaterThanOrEqual(s.startedAt!);
      }

      expect(fakes.names()).toEqual(SUCCESS_STEPS);
      // The deploy's own plan also checks that this run may change the environment (protected: signed or promoted).
      expect(fakes.callsOf('planDeploy')[0]!.args).toEqual([INPUT, { authorize: true }]);
      expect(fakes.callsOf('startStack')[0]!.args).toEqual([planFixture(), FACTS, NEW_IMAGES]);
      expect(fakes.callsOf('healthGate')[0]!.args).toEqual([planFixture(), NEW_IMAGES]);
      // Retention keeps this deploy's own rollback point whatever its age.
      expect(fakes.callsOf('pruneHost')[0]!.args).toEqual([planFixture(), { rollbackPoint: POINT.savedDir }]);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'succeeded']);
      expect(fakes.notices()[1]).toMatchObject({ environment: 'dev-cloud', version: 'v2', requestedBy: 'ci', previousVersion: 'v1' });
      // The deploy's own history holds its steps only: notices are the notifier's.
      expect(history).toEqual(SCHEDULED_ON_SUCCESS);
    },
    TIMEOUT,
  );

  it(
    'a deploy told that its database was just backed up and verified (a migration) skips its own dump and says by whom',
    async () => {
      const plan = planFixture({ database: { container: 'mongo' } });
      const fakes = makeFakes({ plan });
      const result = await withWorker(fakes, async (start) => (await (await start({ ...INPUT, backedUpBy: 'the migration (final dump X, verified)' })).result()) as DeployResult);
      expect(result.outcome).toBe('succeeded');
      expect(fakes.callsOf('backupDatabase')).toEqual([]);
      expect(result.backup).toBeNull();
      const step = result.steps.find((s) => s.name === 'database backup')!;
      expect(step).toMatchObject({ state: 'skipped', detail: 'backed up and verified just before by the migration (final dump X, verified)' });
    },
    TIMEOUT,
  );

  it(
    'happy path with a database and a held service: backup, hold and release wrap upload, pull, start and health',
    async () => {
      const plan = planFixture({ database: { container: 'mongo' }, holdDuringDeploy: ['watchtower'], smoke: SMOKE_CHECKS });
      const fakes = makeFakes({ plan });
      const exact = OLD_IMAGES;
      const result = await withWorker(fakes, async (start) => (await (await start({ ...INPUT, images: exact })).result()) as DeployResult);

      expect(result.outcome).toBe('succeeded');
      expect(result.backup).toEqual(BACKUP);
      expect(result.steps.every((s) => s.state === 'succeeded')).toBe(true);
      expect(result.steps.map((s) => s.name)).toEqual([
        'plan',
        'preflight',
        'lock',
        'rollback point',
        'database backup',
        'hold services',
        'upload stack',
        'pull images',
        'start stack',
        'health gate',
        'release services',
        'smoke test',
        'prune',
      ]);
      // The backup runs beside the rollback point, hold, upload and pull: its
      // place among them is not fixed, only that it is under the lock (asked
      // for after preflight) and before the stack starts.
      const names = fakes.names();
      expect(names.filter((n) => n !== 'backupDatabase')).toEqual([
        'planDeploy',
        'preflight',
        'requestEnvironmentLock',
        'captureRollbackPoint',
        'holdServices',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'releaseServices',
        'smokeTest',
        'pruneHost',
      ]);
      expect(names.indexOf('backupDatabase')).toBeGreaterThan(names.indexOf('requestEnvironmentLock'));
      expect(names.indexOf('backupDatabase')).toBeLessThan(names.indexOf('startStack'));
      expect(fakes.callsOf('backupDatabase')[0]!.args).toEqual([plan]);
      expect(fakes.callsOf('holdServices')[0]!.args).toEqual([plan, FACTS]);
      expect(fakes.callsOf('releaseServices')[0]!.args).toEqual([plan, FACTS]);
      // A deploy of exact images (a rollback by digest) hands them to the pull.
      expect(fakes.callsOf('pullImages')[0]!.args).toEqual([plan, FACTS, exact, undefined]);
      // The newest backup is never pruned: it is this deploy's.
      expect(fakes.callsOf('pruneHost')[0]!.args).toEqual([plan, { rollbackPoint: POINT.savedDir, backup: BACKUP.path }]);
      expect(Object.fromEntries(result.steps.map((s) => [s.name, s.detail]))['hold services']).toBe('stopped watchtower');
    },
    TIMEOUT,
  );

  it(
    'a failed prune is shown, and the deploy still succeeds',
    async () => {
      const fakes = makeFakes({
        overrides: {
          pruneHost: async () => {
            throw ApplicationFailure.nonRetryable('rm: cannot remove: Read-only file system', 'Test');
          },
        },
      });
      const result = await withWorker(fakes, async (start) => (await (await start()).result()) as DeployResult);
      expect(result.outcome).toBe('succeeded');
      const prune = result.steps.find((s) => s.name === 'prune')!;
      expect(prune.state).toBe('failed');
      expect(prune.detail).toContain('Read-only file system');
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'succeeded']);
    },
    TIMEOUT,
  );

  it(
    'the smoke test runs after the health gate and before the prune, and its checks are in the result and the notice',
    async () => {
      const plan = planFixture({ smoke: SMOKE_CHECKS });
      const fakes = makeFakes({ plan });
      const result = await withWorker(fakes, async (start) => (await (await start()).result()) as DeployResult);
      expect(result.outcome).toBe('succeeded');
      expect(fakes.names()).toEqual([...SUCCESS_STEPS.slice(0, -1), 'smokeTest', 'pruneHost']);
      expect(fakes.callsOf('smokeTest')[0]!.args).toEqual([plan]);
      const step = result.steps.find((s) => s.name === 'smoke test')!;
      expect(step).toMatchObject({ state: 'succeeded', detail: '2 of 2 passed' });
      expect(result.smoke).toEqual([
        { name: 'frontend page', passed: true, detail: 'GET :80/ answered 200' },
        { name: 'api through frontend', passed: true, detail: 'GET :80/api/ready answered 200' },
      ]);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'succeeded']);
      expect(fakes.notices()[1]!.smoke).toEqual(result.smoke);
    },
    TIMEOUT,
  );

  it(
    'a failed smoke check neither fails nor rolls back the deploy: it succeeds, the step shows failed, the check is named in the result and the notice',
    async () => {
      const plan = planFixture({ smoke: SMOKE_CHECKS });
      const fakes = makeFakes({
        plan,
        overrides: {
          smokeTest: async () => [
            { name: 'frontend page', passed: true, detail: 'GET :80/ answered 200' },
            { name: 'api through frontend', passed: false, detail: 'GET :80/api/ready answered 502 (text/html), not 200: 502 Bad Gateway' },
          ],
        },
      });
      const { result, history } = await withWorker(fakes, async (start) => {
        const handle = await start();
        return { result: (await handle.result()) as DeployResult, history: await scheduledActivities(handle) };
      });
      expect(result.outcome).toBe('succeeded');
      expect(result.error).toBeUndefined();
      expect(result.services).toEqual(NEW_IMAGES);
      // Nothing undone: no restore, no second health gate; the prune still runs.
      expect(fakes.callsOf('restoreRollbackPoint')).toEqual([]);
      expect(fakes.callsOf('healthGate')).toHaveLength(1);
      expect(fakes.names()).toEqual([...SUCCESS_STEPS.slice(0, -1), 'smokeTest', 'pruneHost']);
      expect(history).toEqual([...SCHEDULED_ON_SUCCESS, 'smokeTest']);
      expect(result.steps.some((s) => s.name.includes('previous version'))).toBe(false);
      const step = result.steps.find((s) => s.name === 'smoke test')!;
      expect(step.state).toBe('failed');
      expect(step.detail).toContain('1 of 2 FAILED (the deploy stands): api through frontend (GET :80/api/ready answered 502');
      expect(result.steps.find((s) => s.name === 'prune')!.state).toBe('succeeded');
      expect(result.smoke!.filter((c) => !c.passed).map((c) => c.name)).toEqual(['api through frontend']);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'succeeded']);
      expect(fakes.notices()[1]!.smoke).toEqual(result.smoke);
    },
    TIMEOUT,
  );

  it(
    'a smoke test that cannot run at all (the host unreachable through every retry) is reported as every check failed, and the deploy stands',
    async () => {
      const plan = planFixture({ smoke: SMOKE_CHECKS });
      const fakes = makeFakes({
        plan,
        overrides: {
          smokeTest: async () => {
            throw ApplicationFailure.create({ type: 'HostUnreachable', message: 'cannot reach deploy@10.0.0.5:22 over SSH: connection lost' });
          },
        },
      });
      const result = await withWorker(fakes, async (start) => (await (await start()).result()) as DeployResult);
      expect(result.outcome).toBe('succeeded');
      // Tried a few times, not for long: the smoke test only reports.
      expect(fakes.callsOf('smokeTest')).toHaveLength(3);
      expect(fakes.callsOf('restoreRollbackPoint')).toEqual([]);
      expect(result.smoke).toEqual(SMOKE_CHECKS.map((c) => ({ name: c.name, passed: false, detail: expect.stringMatching(/^not run: .*connection lost/) })));
      expect(result.steps.find((s) => s.name === 'smoke test')!.state).toBe('failed');
      expect(fakes.notices()[1]).toMatchObject({ kind: 'succeeded', smoke: result.smoke });
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
        'requestEnvironmentLock',
        'captureRollbackPoint',
        'uploadStack',
        'uploadStack',
        'uploadStack',
        'pullImages',
        'startStack',
        'healthGate',
        'pruneHost',
      ]);
      expect(Math.max(...attempts)).toBe(3);
      expect(stateOf(result.steps)['upload stack']).toBe('succeeded');
    },
    TIMEOUT,
  );

  it(
    'Discord fails twice per notice: the deploy does not wait for it, and every notice arrives, in order',
    async () => {
      const fakes = makeFakes({
        overrides: {
          notify: async () => {
            if (Context.current().info.attempt <= 2) throw ApplicationFailure.retryable('discord is down', 'NoticeNotSent');
          },
        },
      });
      const { result, history } = await withWorker(fakes, async (start) => {
        const handle = await start();
        return { result: (await handle.result()) as DeployResult, history: await scheduledActivities(handle) };
      });

      expect(result.outcome).toBe('succeeded');
      expect(history).toEqual(SCHEDULED_ON_SUCCESS);
      // Each tried three times (after 1 s, then 2 s), the second only after the first arrived.
      expect(fakes.notices().map((n) => n.kind)).toEqual(['started', 'started', 'started', 'succeeded', 'succeeded', 'succeeded']);
      // Each notice links to the deploy, not to the notifier that delivered it.
      expect(new Set(fakes.notices().map((n) => n.run.workflowId)).size).toBe(1);
      expect(fakes.notices()[0]!.run.workflowId).toMatch(/^deploy-test-/);
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
            return healthy(expected);
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
        lock: 'succeeded',
        'rollback point': 'succeeded',
        'database backup': 'skipped',
        'hold services': 'skipped',
        'upload stack': 'succeeded',
        'pull images': 'succeeded',
        'start stack': 'succeeded',
        'health gate': 'running',
        'release services': 'pending',
        'smoke test': 'pending',
        prune: 'pending',
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
    'a second run on the environment waits for its lock after preflight, says whom it waits for, and checks the host again once it has it',
    async () => {
      const firstGate = deferred();
      const release = deferred();
      let gates = 0;
      const fakes = makeFakes({
        overrides: {
          healthGate: async (_plan, expected) => {
            if (++gates === 1) {
              firstGate.resolve();
              await release.promise;
            }
            return healthy(expected);
          },
        },
      });
      const { first, second, waiting, firstRuns, secondRuns } = await withWorker(fakes, async (start) => {
        const first = await start({ ...INPUT, requestedBy: 'alice' });
        await firstGate.promise;
        const second = await start({ ...INPUT, version: 'v3', requestedBy: 'bob' });
        let waiting: StepProgress | undefined;
        for (let i = 0; i < 200 && !waiting?.detail?.startsWith('waiting:'); i++) {
          await sleep(100);
          waiting = (await second.query(progressQuery).catch(() => undefined))?.steps.find((s) => s.name === 'lock');
        }
        release.resolve();
        return {
          first: (await first.result()) as DeployResult,
          second: (await second.result()) as DeployResult,
          waiting,
          firstRuns: await activityRuns(first),
          secondRuns: await activityRuns(second),
        };
      });

      expect(waiting?.state).toBe('running');
      expect(waiting?.detail).toMatch(/^waiting: dev-cloud is locked by deploy v2, requested by alice \(deploy-test-[0-9a-f-]+, since [\dT:-]+Z\)$/);
      expect(first.outcome).toBe('succeeded');
      expect(second.outcome).toBe('succeeded');
      expect(second.steps.find((s) => s.name === 'lock')!.detail).toMatch(/^dev-cloud locked for this run, after waiting \d+s behind deploy v2, requested by alice/);
      // Preflight ran before the lock (a refusal would not have waited), and again under it.
      expect(secondRuns.map((r) => r.type)).toEqual(['planDeploy', 'preflight', 'requestEnvironmentLock', 'preflight', ...SCHEDULED_ON_SUCCESS.slice(3)]);
      expect(second.steps.find((s) => s.name === 'preflight')!.detail).toContain('(again, after the lock)');
      // Nothing of the second changed the host before the first had ended its health gate.
      const firstGateClosed = firstRuns.find((r) => r.type === 'healthGate')!.closedAt!;
      expect(secondRuns.find((r) => r.type === 'captureRollbackPoint')!.scheduledAt).toBeGreaterThanOrEqual(firstGateClosed);
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
});

// ---------------------------------------------------------------- endings

interface Ending {
  name: string;
  plan?: DeployPlan;
  point?: RollbackPoint;
  input?: DeployInput;
  overrides: () => Partial<Activities>;
  type: 'RolledBack' | 'RollbackFailed' | 'DeployFailed';
  outcome: DeployResult['outcome'];
  /** Activities in the order they ran, notices left out. */
  ran: Name[];
  /** Notices, in order: none for a request refused at planning (it touched nothing). */
  notices: string[];
  /** States of the steps that tell this ending apart. */
  states: Record<string, string>;
  message: string;
  also?: (failure: { message: string; result: DeployResult }, fakes: Fakes) => void;
}

const ROLLBACK = ['restoreRollbackPoint', 'healthGate'] as const;
const UP_TO_GATE: Name[] = ['planDeploy', 'preflight', 'requestEnvironmentLock', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack', 'healthGate'];
const newVersionFailsGate = (): Partial<Activities> => ({
  healthGate: async (_plan, expected) => {
    if (expected[0]?.digest === NEW_IMAGES[0]!.digest) throw healthGateFailure();
    return healthy(expected);
  },
});

const ENDINGS: Ending[] = [
  {
    name: 'health gate fails after a rollback point: the previous version is restored and health-gated, ending rolled back',
    overrides: newVersionFailsGate,
    type: 'RolledBack',
    outcome: 'rolled-back',
    ran: [...UP_TO_GATE, ...ROLLBACK],
    notices: ['started', 'rolled-back'],
    states: { 'health gate': 'failed', 'release services': 'skipped', prune: 'skipped', 'restore previous version': 'succeeded', 'health gate (previous version)': 'succeeded' },
    message: 'rolled back to v1: backend unhealthy',
    also: ({ result }, fakes) => {
      expect(result.services).toEqual(POINT.images);
      expect(result.failedService).toBe('backend');
      expect(result.error).toContain('backend unhealthy');
      expect(result.previousVersion).toBe('v1');
      expect(fakes.callsOf('restoreRollbackPoint')[0]!.args).toEqual([planFixture(), FACTS, POINT]);
      const gates = fakes.callsOf('healthGate');
      expect(gates[0]!.args[1]).toEqual(NEW_IMAGES);
      expect(gates[1]!.args[1]).toEqual(POINT.images);
      const notice = fakes.notices()[1]!;
      expect(notice).toMatchObject({ failedService: 'backend', logTail: 'boom', previousVersion: 'v1' });
      expect(notice.reason).toContain('backend unhealthy');
    },
  },
  {
    name: 'with a held service, the rollback also starts it again after the previous version is healthy',
    plan: planFixture({ holdDuringDeploy: ['watchtower'] }),
    overrides: newVersionFailsGate,
    type: 'RolledBack',
    outcome: 'rolled-back',
    ran: ['planDeploy', 'preflight', 'requestEnvironmentLock', 'captureRollbackPoint', 'holdServices', 'uploadStack', 'pullImages', 'startStack', 'healthGate', ...ROLLBACK, 'releaseServices'],
    notices: ['started', 'rolled-back'],
    states: { 'release services': 'skipped', 'restore previous version': 'succeeded', 'release services (previous version)': 'succeeded' },
    message: 'rolled back to v1',
    also: ({ result }) => {
      // Compensation runs newest first, and the runbook shows it in that order.
      expect(result.steps.slice(-3).map((s) => s.name)).toEqual(['restore previous version', 'health gate (previous version)', 'release services (previous version)']);
    },
  },
  {
    name: 'restore fails: the deploy ends rollback-failed, loudly, and the restore is not retried',
    overrides: () => ({
      healthGate: async () => {
        throw healthGateFailure();
      },
      restoreRollbackPoint: async () => {
        throw ApplicationFailure.nonRetryable('compose up of the previous version failed: no space left on device', 'RestoreFailed');
      },
    }),
    type: 'RollbackFailed',
    outcome: 'rollback-failed',
    ran: [...UP_TO_GATE, 'restoreRollbackPoint'],
    notices: ['started', 'rollback-failed'],
    states: { 'health gate': 'failed', 'restore previous version': 'failed', 'health gate (previous version)': 'skipped' },
    message: 'ROLLBACK FAILED: backend unhealthy',
    also: ({ result }, fakes) => {
      expect(result.failedService).toBe('backend');
      expect(result.services).toEqual([]);
      expect(result.steps.find((s) => s.name === 'restore previous version')!.detail).toContain('no space left on device');
      expect(fakes.notices()[1]!.reason).toContain('backend unhealthy');
    },
  },
  {
    name: 'first deploy (nothing to roll back to) and the start fails: failed, no restore attempted',
    point: FIRST_DEPLOY,
    overrides: () => ({
      startStack: async () => {
        throw ApplicationFailure.nonRetryable('compose up failed: port 3001 already allocated', 'StartFailed');
      },
    }),
    type: 'DeployFailed',
    outcome: 'failed',
    ran: ['planDeploy', 'preflight', 'requestEnvironmentLock', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack'],
    notices: ['started', 'failed'],
    states: { 'start stack': 'failed', 'health gate': 'skipped' },
    message: 'port 3001 already allocated',
    also: ({ result }) => {
      expect(result.error).toContain('port 3001 already allocated');
      expect(result.previousVersion).toBeNull();
      expect(result.failedService).toBeUndefined();
      expect(result.steps.find((s) => s.name === 'health gate')!.detail).toBe('nothing to roll back to: first deploy');
      expect(result.steps.map((s) => s.name)).not.toContain('restore previous version');
    },
  },
  {
    name: 'plan refuses the input (non-retryable): failed, nothing else runs, no retry, and Discord hears nothing',
    input: { ...INPUT, version: 'v1;touch /pwned' },
    overrides: () => ({
      planDeploy: async () => {
        throw ApplicationFailure.nonRetryable('version "v1;touch /pwned" is not an image tag', 'InvalidInput');
      },
    }),
    type: 'DeployFailed',
    outcome: 'failed',
    ran: ['planDeploy'],
    notices: [],
    states: { plan: 'failed', preflight: 'skipped', prune: 'skipped' },
    message: 'is not an image tag',
    also: ({ result }) => {
      expect(result.services).toEqual([]);
      expect(result.steps.filter((s) => s.name !== 'plan').every((s) => s.state === 'skipped')).toBe(true);
    },
  },
  {
    name: 'the running version fails its own health check: refused at preflight, nothing on the host changed',
    overrides: () => ({
      preflight: async () => {
        throw ApplicationFailure.nonRetryable(
          'the running version fails its own health check: backend (GET http://localhost:3001/api/health -> 404): fix the configuration, or pass --allow-unhealthy-current',
          'CurrentVersionUnhealthy',
        );
      },
    }),
    type: 'DeployFailed',
    outcome: 'failed',
    ran: ['planDeploy', 'preflight'],
    notices: ['started', 'failed'],
    states: { preflight: 'failed', 'rollback point': 'skipped' },
    message: 'backend (GET http://localhost:3001/api/health -> 404)',
    also: ({ result }, fakes) => {
      expect(result.failureType).toBe('CurrentVersionUnhealthy');
      expect(fakes.callsOf('preflight')[0]!.args[1]).toEqual({});
    },
  },
  {
    name: 'allowed to replace an unhealthy version: a failed deploy restores it by digest, does not gate it, and ends failed',
    input: { ...INPUT, allowUnhealthyCurrent: true },
    overrides: () => ({
      preflight: async () => ({ ...FACTS, current: 'unhealthy', currentProblems: 'backend (GET /api/health -> 404)' }),
      healthGate: async () => {
        throw healthGateFailure();
      },
    }),
    type: 'DeployFailed',
    outcome: 'failed',
    ran: [...UP_TO_GATE, 'restoreRollbackPoint'],
    notices: ['started', 'failed'],
    states: { 'restore previous version': 'succeeded', 'health gate (previous version)': 'skipped' },
    message: 'v1 was restored by digest, unhealthy as before',
    also: ({ result }, fakes) => {
      expect(fakes.callsOf('preflight')[0]!.args[1]).toEqual({ allowUnhealthyCurrent: true });
      expect(result.services).toEqual(OLD_IMAGES);
      expect(result.steps.find((s) => s.name === 'health gate (previous version)')!.detail).toContain('it was unhealthy before the deploy');
    },
  },
];

describe('deploy workflow (fake activities): how it ends when a step fails', () => {
  it.each(ENDINGS)(
    '$name',
    async (ending) => {
      const fakes = makeFakes({ plan: ending.plan, point: ending.point, overrides: ending.overrides() });
      const { failure, history } = await withWorker(fakes, async (start) => {
        const handle = await start(ending.input);
        return { failure: await failureOf(handle), history: await scheduledActivities(handle) };
      });

      expect(failure.type).toBe(ending.type);
      expect(failure.message).toContain(ending.message);
      expect(failure.result.outcome).toBe(ending.outcome);
      expect(fakes.names()).toEqual(ending.ran);
      // Nothing that failed for good was tried twice: the history schedules each step once.
      expect(history).toEqual(ending.ran);
      expect(fakes.notices().map((n) => n.kind)).toEqual(ending.notices);
      expect(stateOf(failure.result.steps)).toMatchObject(ending.states);
      ending.also?.(failure, fakes);
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

      expect(fakes.names()).toEqual(['planDeploy', 'preflight', 'requestEnvironmentLock', 'captureRollbackPoint', 'uploadStack', 'pullImages', 'startStack', ...ROLLBACK]);
      expect(fakes.callsOf('healthGate')[0]!.args[1]).toEqual(POINT.images);
      const notices = fakes.notices();
      expect(notices.map((n) => n.kind)).toEqual(['started', 'rolled-back']);
      expect(notices[1]!.reason).toContain('cancelled');
    },
    TIMEOUT,
  );
});
