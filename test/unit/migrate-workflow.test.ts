// The migration runbook's logic (src/workflows/migrate.ts), on the real
// Temporal test server, with fake activities: what runs in which order on
// which host, what is refused before anything stops, and what a failure
// after the maintenance window undoes. The switch's child deploy, the
// keep-source countdown and the notifiers run for real on the same worker;
// every activity is an in-memory fake that records its calls, except the
// environment lock's (real: its workflow runs here too).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.ts';
import type { MigrationPlan } from '../../src/activities/database/migration.ts';
import { environmentLockActivities } from '../../src/activities/lock.ts';
import { workflowsPath } from '../../src/worker.ts';
import { indexSignature } from '../../src/workflows/database-state.ts';
import { deployWorkflowId, keepSourceWorkflowId, migrateWorkflowId } from '../../src/workflows/definitions.ts';
import { MIGRATE_STEPS } from '../../src/workflows/migrate.ts';
import type {
  BackupManifest,
  BackupPlan,
  DatabaseFacts,
  DatabaseState,
  DeployInput,
  DeployPlan,
  HostFacts,
  IndexSpec,
  KeepSourceInput,
  KeepSourceState,
  MigrateInput,
  MigrateResult,
  Notice,
  RollbackPoint,
  RunningStack,
  ServiceImage,
  StepProgress,
} from '../../src/workflows/types.ts';
import { activityRuns } from '../support/history.ts';
import { connectTestServer, notifierEnded, type TestServer } from '../support/test-server.ts';

const TIMEOUT = 90_000;
/** The fake plan's keep-source countdown: short, so that the reminder comes within the test. */
const KEEP_SECONDS = 2;

try {
  // Once per process; a second install throws, which is fine.
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed
}

// ---------------------------------------------------------------- fixtures

/**
 * Each test migrates between environments of its own: the lock, the child
 * deploy and the keep-source countdown have workflow IDs named after them,
 * and the server is shared by every test of the run.
 */
function ends() {
  const id = randomUUID().slice(0, 8);
  return { from: `smokecloud-${id}`, to: `prod-cloud-${id}` };
}

const hostOf = (address: string) => ({ host: address, port: 22, user: 'deploy', privateKey: '/keys/id_ed25519', connectTimeoutSeconds: 10 });

function backupPlan(environment: string, address: string): BackupPlan {
  return {
    environment,
    host: hostOf(address),
    container: 'mongo',
    hostDir: '/opt/smart-smoker/backups',
    storeDir: `/var/lib/smokestack/backups/${environment}`,
    keep: { daily: 7, weekly: 4, monthly: 6 },
    timeZone: 'Europe/Berlin',
    consistency: 'quiesce',
    minFreeDiskMb: 500,
    appContainers: ['backend_cloud', 'frontend_cloud'],
  };
}

function migrationPlan(from: string, to: string): MigrationPlan {
  return {
    source: backupPlan(from, '10.0.0.7'),
    target: backupPlan(to, '10.0.0.9'),
    smokeCheck: { collection: 'smokes', path: '/api/latest/{collection}', port: 3001 },
    keepSeconds: KEEP_SECONDS,
    checks: [`smokestack backups ${to} lists a validated backup taken after the migration`, `the app on ${to} has served without a rollback since the migration`],
  };
}

/** The stack of an environment, as planDeploy reads it (for the stack gate and for the switch's deploy). */
function deployPlan(environment: string, version: string, address: string): DeployPlan {
  return {
    environment,
    kind: 'cloud',
    version,
    host: hostOf(address),
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
  };
}

const RUNNING: ServiceImage[] = [
  { service: 'backend', image: 'benjr70/smart-smoker-backend:v7', digest: `benjr70/smart-smoker-backend@sha256:${'b7'.repeat(32)}`, imageId: `sha256:${'1'.repeat(64)}` },
  { service: 'frontend', image: 'benjr70/smart-smoker-frontend:v7', digest: `benjr70/smart-smoker-frontend@sha256:${'f7'.repeat(32)}`, imageId: `sha256:${'2'.repeat(64)}` },
];

const HOST_FACTS: HostFacts = { compose: 'v2', composeVersion: '2.27.0', dockerVersion: '26.1.0', freeDiskMb: 12_000, current: 'healthy' };

const MiB = 2 ** 20;

const facts = (environment: string, overrides: Partial<DatabaseFacts> = {}): DatabaseFacts => ({
  environment,
  version: '7.0.14',
  authenticationRequired: true,
  dataBytes: 40 * MiB,
  freeBytes: 9_000 * MiB,
  ...overrides,
});

/** One collection as a database holds it: what a dump's manifest, the archive's content and databaseState each say of it. */
interface Collection {
  namespace: string;
  documents: number;
  sha256: string;
  indexes: IndexSpec[];
}

const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 } };

/** The source's data: what must arrive on the target. */
const SOURCE_DATA: Collection[] = [
  { namespace: 'smartsmoker.smokes', documents: 412, sha256: 'a1'.repeat(32), indexes: [ID_INDEX, { name: 'date_-1', key: { date: -1 } }] },
  { namespace: 'smartsmoker.temps', documents: 183_204, sha256: 'b2'.repeat(32), indexes: [ID_INDEX, { name: 'smokeId_1_date_1', key: { smokeId: 1, date: 1 } }] },
  { namespace: 'smartsmoker.users', documents: 3, sha256: 'c3'.repeat(32), indexes: [ID_INDEX, { name: 'email_1', key: { email: 1 }, unique: true }] },
];

/** The target's data before the migration: an empty app's (replaced by the restore). */
const TARGET_DATA: Collection[] = [{ namespace: 'smartsmoker.smokes', documents: 1, sha256: 'd4'.repeat(32), indexes: [ID_INDEX] }];

/** As databaseState reads a database: index signatures sorted, content hashes of the documents. */
const stateOf = (data: Collection[]): DatabaseState => ({
  collections: data.map((c) => ({ namespace: c.namespace, documents: c.documents, indexes: c.indexes.map(indexSignature).sort(), sha256: c.sha256 })),
});

/** A collection with one document fewer (or more): its count and its content hash change. */
const withDocuments = (data: Collection[], namespace: string, delta: number): Collection[] =>
  data.map((c) => (c.namespace === namespace ? { ...c, documents: c.documents + delta, sha256: 'e5'.repeat(32) } : c));

const NEWEST_SMOKE = '{"$oid":"66a1f0c2e4b0a1b2c3d4e5f6"}';

const healthy = (expected: ServiceImage[]) => expected.map((i) => ({ service: i.service, container: `${i.service}_cloud`, healthy: true, detail: 'healthy' }));

// ---------------------------------------------------------------- fakes

type Name = keyof Activities;
interface Call {
  name: Name;
  /** The environment the call acts on (its plan's, its notice's; the target for a transfer). */
  environment: string | undefined;
  args: unknown[];
  at: number;
}

/** Names that are the run's plumbing, not its effects on a host. */
const PLUMBING: ReadonlySet<string> = new Set(['notify', 'requestEnvironmentLock', 'isWorkflowRunning']);

interface Fakes {
  activities: Activities;
  calls: Call[];
  /** Effects in order, as "name source" or "name target": notices and lock requests left out. */
  effects(): string[];
  callsOf(name: Name, environment?: string): Call[];
  /** Every delivery attempt of a notice, in order. */
  notices(): Notice[];
}

function environmentOf(name: string, args: unknown[]): string | undefined {
  if (name === 'planMigration') return (args[0] as MigrateInput).from;
  // The transfer writes on the target (it reads the store's copy of the source's archive).
  if (name === 'transferArchive') return (args[1] as BackupPlan).environment;
  const first = args.find((a): a is { environment: string } => typeof a === 'object' && a !== null && typeof (a as { environment?: unknown }).environment === 'string');
  return first?.environment;
}

interface FakeOptions {
  /** What databaseState reads on an environment, given what it holds (the default reads it as it is). */
  readState?: (environment: string, data: Collection[]) => Collection[];
  factsOf?: (environment: string) => DatabaseFacts;
  overrides?: Partial<Activities>;
}

/**
 * Every activity of the migration, of its child deploy and of the
 * notifiers, in memory. The databases are a map: a dump records what the
 * environment holds under its archive's name, a restore puts that into the
 * target, and databaseState reads it back.
 */
function makeFakes(from: string, to: string, options: FakeOptions = {}): Fakes {
  const plan = migrationPlan(from, to);
  const address = (environment: string) => (environment === from ? plan.source.host.host : plan.target.host.host);
  const databases = new Map<string, Collection[]>([
    [from, SOURCE_DATA],
    [to, TARGET_DATA],
  ]);
  const archives = new Map<string, Collection[]>();

  const defaults: Partial<Activities> = {
    planMigration: async () => plan,
    databaseFacts: async (end) => options.factsOf?.(end.environment) ?? facts(end.environment),
    planDeploy: async (input: DeployInput) => deployPlan(input.environment, input.version, address(input.environment)),
    inspectRunning: async (stack): Promise<RunningStack> => ({ environment: stack.environment, version: 'v7', images: RUNNING, healthy: true }),
    takeBackup: async (end, id, trigger): Promise<BackupManifest> => {
      const data = databases.get(end.environment)!;
      const archive = `${id}.archive.gz`;
      archives.set(archive, data);
      return {
        id,
        environment: end.environment,
        takenAt: Date.now(),
        trigger,
        consistency: end.consistency,
        archive,
        sha256: randomUUID().replaceAll('-', '').repeat(2),
        bytes: 9 * MiB,
        collections: data.map((c) => ({ namespace: c.namespace, documents: c.documents })),
        indexes: data.map((c) => ({ namespace: c.namespace, specs: c.indexes })),
        tools: { mongodump: '100.9.4' },
        run: { workflowId: 'migrate', runId: 'run' },
      };
    },
    copyOffHost: async (end, manifest) => `${end.storeDir}/${manifest.archive}`,
    inspectArchive: async (_end, manifest) => ({
      ...manifest,
      content: {
        serverVersion: '7.0.14',
        toolVersion: '100.9.4',
        collections: archives.get(manifest.archive)!.map((c) => ({ namespace: c.namespace, documents: c.documents, bytes: c.documents * 512, sha256: c.sha256, indexes: c.indexes })),
      },
    }),
    stopApp: async () => undefined,
    startApp: async () => undefined,
    // Beside the target's backups, not among them (migrationDir).
    transferArchive: async (_source, _target, manifest) => `/opt/smart-smoker/migrations/${manifest.archive}`,
    restoreArchive: async (end, _path, manifest) => {
      databases.set(end.environment, archives.get(manifest.archive)!);
    },
    databaseState: async (end) => {
      const data = databases.get(end.environment)!;
      return stateOf(options.readState ? options.readState(end.environment, data) : data);
    },
    healthGate: async (_stack, expected) => healthy(expected),
    newestId: async () => NEWEST_SMOKE,
    smokeCheck: async (end, check, expected) => ({ environment: end.environment, path: check.path.split('{collection}').join(check.collection), newestId: expected }),
    notify: async () => undefined,
    // The switch's deploy of the target (a child workflow on this worker).
    preflight: async () => HOST_FACTS,
    captureRollbackPoint: async (stack): Promise<RollbackPoint> => ({
      existed: true,
      savedDir: `${stack.deployDir}/.smokestack/rollback/run-1`,
      savedFiles: ['docker-compose.yml', '.env'],
      previousVersion: 'v7',
      images: RUNNING,
    }),
    uploadStack: async () => undefined,
    pullImages: async (_stack, _facts, images) => images ?? RUNNING,
    startStack: async () => undefined,
    restoreRollbackPoint: async () => undefined,
    pruneHost: async () => ({ removed: [], kept: 5 }),
    // The environment lock is real: its workflow runs on the same server and worker.
    ...environmentLockActivities(),
  };
  const behaviour: Record<string, (...args: unknown[]) => Promise<unknown>> = { ...defaults, ...options.overrides } as never;
  const calls: Call[] = [];
  const activities = Object.fromEntries(
    Object.entries(behaviour).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        calls.push({ name: name as Name, environment: environmentOf(name, args), args, at: Date.now() });
        return fn(...args);
      },
    ]),
  ) as unknown as Activities;
  const label = (environment: string | undefined) => (environment === from ? 'source' : environment === to ? 'target' : `${environment}`);
  return {
    activities,
    calls,
    effects: () => calls.filter((c) => !PLUMBING.has(c.name)).map((c) => `${c.name} ${label(c.environment)}`),
    callsOf: (name, environment) => calls.filter((c) => c.name === name && (environment === undefined || c.environment === environment)),
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

interface Run {
  handle: WorkflowHandle;
  /** The run's result, or its failure (kept, not thrown). */
  outcome: { result?: MigrateResult; error?: unknown };
}

/**
 * Runs one migration of `input` on a worker (its own task queue) serving
 * the real workflows and the fakes; keeps the worker until every notifier
 * has delivered (they outlive their runs), and, after a migration, until
 * the keep-source countdown has ended.
 */
async function migrateWith(fakes: Fakes, input: MigrateInput): Promise<Run> {
  const taskQueue = `migrate-workflow-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue, workflowsPath, activities: fakes.activities });
  return worker.runUntil(async () => {
    const handle = await client.workflow.start('migrate', { taskQueue, workflowId: migrateWorkflowId(input.from, input.dryRun), args: [input] });
    const outcome = await handle.result().then(
      (result: MigrateResult) => ({ result }),
      (error: unknown) => ({ error }),
    );
    await notifierOf(handle.workflowId, handle.firstExecutionRunId);
    const deployChild = await describeIfAny(deployWorkflowId(input.to));
    if (deployChild) await notifierOf(deployChild.workflowId, deployChild.runId);
    const keep = await describeIfAny(keepSourceWorkflowId(input.from));
    if (keep) {
      // An earlier countdown a test set up may have been terminated: its end is all that matters here.
      const ended = await client.workflow.getHandle(keep.workflowId).result().then(() => true, () => false);
      if (ended) await notifierOf(keep.workflowId, keep.runId);
    }
    return { handle, outcome };
  });
}

async function describeIfAny(workflowId: string): Promise<{ workflowId: string; runId: string } | undefined> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId: d.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Waits for a run's notifier to end, if the run had one. */
const notifierOf = (workflowId: string, runId: string): Promise<void> => notifierEnded(client, workflowId, runId, 200);

function succeeded(run: Run): MigrateResult {
  if (run.outcome.error) throw run.outcome.error;
  return run.outcome.result!;
}

/** The workflow's failure: a non-retryable ApplicationFailure carrying the MigrateResult. */
function failureOf(run: Run): { type: string | undefined | null; message: string; result: MigrateResult } {
  if (!run.outcome.error) throw new Error(`expected the migration to fail, it returned ${JSON.stringify(run.outcome.result)}`);
  const err = run.outcome.error;
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const failure = cause as ApplicationFailure;
  expect(failure.nonRetryable).toBe(true);
  return { type: failure.type, message: failure.message, result: failure.details?.[0] as MigrateResult };
}

const stateOfSteps = (steps: StepProgress[]) => Object.fromEntries(steps.map((s) => [s.name, s.state]));
const detailOf = (steps: StepProgress[], name: string) => steps.find((s) => s.name === name)?.detail;

/** Where `effect` ("name source") first happens in `effects`, failing when it never does. */
function at(effects: string[], effect: string, from = 0): number {
  const i = effects.indexOf(effect, from);
  if (i < 0) throw new Error(`"${effect}" never happened${from ? ` after position ${from}` : ''}: ${effects.join(', ')}`);
  return i;
}

const lastIndex = (effects: string[], effect: string) => effects.lastIndexOf(effect);

// ---------------------------------------------------------------- tests

describe('migrate workflow (fake activities): a migration that succeeds', () => {
  it(
    'stops the source, dumps it, moves and verifies it, switches to the target, and keeps the source with a reminder',
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to);
      const input: MigrateInput = { from, to, requestedBy: 'alice' };
      const run = await migrateWith(fakes, input);
      const result = succeeded(run);

      expect(result).toMatchObject({ from, to, dryRun: false, outcome: 'migrated' });
      expect(stateOfSteps(result.steps)).toEqual(Object.fromEntries(MIGRATE_STEPS.map((s) => [s, 'succeeded'])));
      expect(result.steps.map((s) => s.name)).toEqual([...MIGRATE_STEPS]);

      // Every effect, in order, with the host it acts on.
      const effects = fakes.effects();
      expect(effects).toEqual([
        'planMigration source',
        'databaseFacts source',
        'databaseFacts target',
        // The stack gates: each app's stack and what runs now.
        'planDeploy source',
        'inspectRunning source',
        'planDeploy target',
        'inspectRunning target',
        // The backups, before anything stops.
        'takeBackup source',
        'copyOffHost source',
        'inspectArchive source',
        'takeBackup target',
        'copyOffHost target',
        'inspectArchive target',
        // The maintenance window, and the final dump with no writer left.
        'stopApp source',
        'takeBackup source',
        'copyOffHost source',
        'inspectArchive source',
        'transferArchive target',
        'stopApp target',
        'restoreArchive target',
        // Verify: the target equals the archive, and the source still does.
        'databaseState target',
        'databaseState source',
        // The switch: the target's app, then its deploy (a child workflow).
        'startApp target',
        'planDeploy target',
        'preflight target',
        'captureRollbackPoint target',
        'uploadStack target',
        'pullImages target',
        'startStack target',
        'healthGate target',
        'pruneHost target',
        'newestId target',
        'smokeCheck target',
      ]);
      // The orderings that matter, said on their own.
      const finalDump = lastIndex(effects, 'takeBackup source');
      expect(at(effects, 'stopApp source')).toBeLessThan(finalDump);
      expect(at(effects, 'transferArchive target')).toBeLessThan(at(effects, 'restoreArchive target'));
      expect(at(effects, 'restoreArchive target')).toBeLessThan(at(effects, 'databaseState target'));
      const verified = at(effects, 'databaseState source');
      expect(at(effects, 'startApp target')).toBeGreaterThan(verified);
      // Nothing on the source is started again, deleted or restored.
      expect(fakes.callsOf('startApp', from)).toHaveLength(0);
      expect(fakes.callsOf('restoreArchive', from)).toHaveLength(0);

      // What moved: the final dump, taken with the source stopped, restored as it was transferred.
      const [finalManifest] = fakes.callsOf('restoreArchive')[0]!.args.slice(2) as [BackupManifest];
      expect(result.moved).toEqual(finalManifest);
      expect(result.moved!.id).toMatch(/-migration$/);
      expect(result.moved!.trigger).toBe('migration');
      expect(result.moved!.environment).toBe(from);
      expect(fakes.callsOf('transferArchive')[0]!.args.slice(0, 3)).toEqual([migrationPlan(from, to).source, migrationPlan(from, to).target, result.moved]);
      expect(fakes.callsOf('restoreArchive')[0]!.args[1]).toBe(`/opt/smart-smoker/migrations/${result.moved!.archive}`);
      expect(result.state).toEqual(stateOf(SOURCE_DATA));
      expect(result.backups.map((b) => [b.environment, b.trigger])).toEqual([
        [from, 'migration'],
        [to, 'migration'],
      ]);
      for (const b of result.backups) expect(b.id).toMatch(/-pre-migration$/);
      expect(result.smoke).toEqual({ environment: to, path: '/api/latest/smokes', newestId: NEWEST_SMOKE });
      expect(fakes.callsOf('smokeCheck')[0]!.args).toEqual([migrationPlan(from, to).target, migrationPlan(from, to).smokeCheck, NEWEST_SMOKE]);

      // The switch deploys what the target ran, exactly.
      const deployInput = fakes.callsOf('planDeploy', to)[1]!.args[0] as DeployInput;
      expect(deployInput).toMatchObject({ environment: to, version: 'v7', images: RUNNING });

      // Downtime: from the source's stop to the target's smoke check.
      expect(result.times.downAt).toBeTypeOf('number');
      expect(result.times.upAt!).toBeGreaterThan(result.times.downAt!);
      expect(result.times.downtimeSeconds!).toBeGreaterThan(0);
      expect(result.times.downtimeSeconds).toBeCloseTo((result.times.upAt! - result.times.downAt!) / 1000, 6);
      expect(result.keepSourceUntil).toBe(result.times.upAt! + KEEP_SECONDS * 1000);
      expect(detailOf(result.steps, 'maintenance window')).toContain(`${from}'s app stopped at`);

      // Both locks were asked for: the source's for the whole run, the target's (again by the deploy).
      const locks = fakes.callsOf('requestEnvironmentLock').map((c) => c.environment);
      expect(locks.filter((e) => e === from)).toHaveLength(1);
      expect(locks.filter((e) => e === to)).toHaveLength(2);

      // The keep-source countdown: a child run of its own that outlived the migration.
      const keep = client.workflow.getHandle(keepSourceWorkflowId(from));
      expect(keepSourceWorkflowId(from)).toBe(`migrate-${from}-keep-source`);
      const description = await keep.describe();
      expect(description.type).toBe('keepSource');
      expect(description.status.name).toBe('COMPLETED');
      expect(description.parentExecution?.workflowId).toBe(run.handle.workflowId);
      const kept = (await keep.result()) as KeepSourceState;
      expect(kept).toMatchObject({ from, to, reminded: true, checks: migrationPlan(from, to).checks });

      // Its reminder, once, after keepSeconds.
      const reminders = fakes.callsOf('notify').filter((c) => (c.args[0] as Notice).kind === 'source-can-go');
      expect(reminders).toHaveLength(1);
      const reminder = reminders[0]!.args[0] as Notice;
      expect(reminder).toMatchObject({ environment: from, version: to });
      expect(reminder.run.workflowId).toBe(keepSourceWorkflowId(from));
      expect(reminder.details).toContain(run.handle.workflowId);
      for (const check of migrationPlan(from, to).checks) expect(reminder.details).toContain(check);
      expect(reminders[0]!.at - description.startTime.getTime()).toBeGreaterThanOrEqual(KEEP_SECONDS * 1000 - 50);

      // The migration's own notices, around the window; the deploy's are its own.
      const mine = fakes.notices().filter((n) => n.run.workflowId === run.handle.workflowId);
      expect(mine.map((n) => n.kind)).toEqual(['maintenance-started', 'maintenance-ended']);
      expect(mine[0]).toMatchObject({ environment: from, version: to, requestedBy: 'alice' });
      expect(mine[1]!.durationSeconds).toBe(result.times.downtimeSeconds);
      expect(fakes.notices().filter((n) => n.run.workflowId === deployWorkflowId(to)).map((n) => n.kind)).toEqual(['started', 'succeeded']);

      // The history agrees with the fakes: every activity scheduled by the migration completed at its first attempt.
      const runs = await activityRuns(run.handle);
      expect(runs.every((r) => r.closedAs === 'completed' && r.attempt === 1)).toBe(true);
      expect(runs.filter((r) => r.type === 'stopApp')).toHaveLength(2);
    },
    TIMEOUT,
  );
});

describe('migrate workflow (fake activities): refused before anything stops', () => {
  it(
    'a source without authentication is refused (MigrationRefused): no backup is taken, no app is stopped',
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to, { factsOf: (environment) => facts(environment, { authenticationRequired: environment !== from }) });
      const run = await migrateWith(fakes, { from, to });
      const { type, message, result } = failureOf(run);

      expect(type).toBe('MigrationRefused');
      expect(message).toContain('refused, nothing was stopped on either host');
      expect(message).toContain(`smokestack db users ${from}`);
      expect(result.outcome).toBe('refused');
      expect(result.dryRun).toBe(false);
      expect(result.backups).toEqual([]);
      expect(result.times).toEqual({});

      expect(fakes.effects()).toEqual(['planMigration source', 'databaseFacts source', 'databaseFacts target']);
      expect(fakes.callsOf('stopApp')).toHaveLength(0);
      expect(fakes.callsOf('takeBackup')).toHaveLength(0);
      expect(fakes.callsOf('startApp')).toHaveLength(0);

      expect(stateOfSteps(result.steps)).toMatchObject({ plan: 'succeeded', preflight: 'failed', backups: 'skipped', 'maintenance window': 'skipped', switch: 'skipped', 'keep source': 'skipped' });
      expect(detailOf(result.steps, 'preflight')).toContain('authentication');
      expect(result.steps.map((s) => s.name)).toEqual([...MIGRATE_STEPS]);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['migration-failed']);
      expect(await describeIfAny(keepSourceWorkflowId(from))).toBeUndefined();
    },
    TIMEOUT,
  );
});

describe('migrate workflow (fake activities): a forced second migration', () => {
  it(
    "ends migrated while the first migration's reminder still counts down: the move is done, nothing is rolled back",
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to);
      // The first migration's countdown, still running (on a queue no worker polls, it never ends by itself).
      const earlier = await client.workflow.start('keepSource', {
        taskQueue: `nobody-${randomUUID()}`,
        workflowId: keepSourceWorkflowId(from),
        args: [{ from, to, migration: { workflowId: 'earlier', runId: 'earlier' }, keepSeconds: 1_209_600, checks: [] }],
      });
      const stopEarlierOnceDone = (async () => {
        for (let i = 0; i < 600; i++) {
          const d = await client.workflow.getHandle(migrateWorkflowId(from)).describe().catch(() => undefined);
          if (d && d.status.name !== 'RUNNING') break;
          await sleep(200);
        }
        await earlier.terminate('the test is over');
      })();
      const run = await migrateWith(fakes, { from, to });
      await stopEarlierOnceDone;
      const result = succeeded(run);
      expect(result.outcome).toBe('migrated');
      expect(result.keepSourceUntil).toBeUndefined();
      expect(detailOf(result.steps, 'keep source')).toContain('is still counting down');
      const kinds = fakes.notices().map((n) => n.kind);
      expect(kinds).toContain('maintenance-ended');
      expect(kinds.filter((k) => k.startsWith('migration-'))).toEqual([]);
      expect(fakes.callsOf('startApp').map((c) => c.environment)).toEqual([to]);
    },
    TIMEOUT,
  );
});

describe('migrate workflow (fake activities): failures after the maintenance window roll back', () => {
  it(
    'the target read back has one document fewer than the archive: RolledBack, the target stopped, the source started and gated again, the switch never ran',
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to, {
        readState: (environment, data) => (environment === to ? withDocuments(data, 'smartsmoker.temps', -1) : data),
      });
      const run = await migrateWith(fakes, { from, to });
      const { type, message, result } = failureOf(run);

      expect(type).toBe('RolledBack');
      expect(message).toContain(`migration rolled back, ${from} serves again`);
      expect(message).toContain('smartsmoker.temps: 183203 documents, the backup has 183204');
      expect(result.outcome).toBe('rolled-back');

      const effects = fakes.effects();
      const verify = at(effects, 'databaseState target');
      // Once the target differs, the source is not compared.
      expect(fakes.callsOf('databaseState', from)).toHaveLength(0);
      expect(effects.slice(verify + 1)).toEqual(['stopApp target', 'startApp source', 'healthGate source', 'newestId source', 'smokeCheck source']);
      // The source's gate is its own stack and what ran on it before the stop.
      expect(fakes.callsOf('healthGate', from)[0]!.args).toEqual([deployPlan(from, 'migration', '10.0.0.7'), RUNNING]);
      // The switch never ran: the target's app was never started, nor deployed.
      expect(fakes.callsOf('startApp', to)).toHaveLength(0);
      expect(fakes.callsOf('preflight')).toHaveLength(0);
      expect(await describeIfAny(deployWorkflowId(to))).toBeUndefined();
      expect(await describeIfAny(keepSourceWorkflowId(from))).toBeUndefined();

      expect(stateOfSteps(result.steps)).toEqual({
        plan: 'succeeded',
        preflight: 'succeeded',
        backups: 'succeeded',
        'maintenance window': 'succeeded',
        'final dump': 'succeeded',
        transfer: 'succeeded',
        restore: 'succeeded',
        verify: 'failed',
        switch: 'skipped',
        'smoke check': 'skipped',
        'keep source': 'skipped',
        // The undos, newest first.
        'stop the target': 'succeeded',
        'bring the source back': 'succeeded',
      });
      expect(detailOf(result.steps, 'verify')).toContain(`${to}'s database differs from the final dump of ${from}`);
      expect(detailOf(result.steps, 'switch')).toBe('the migration failed and was rolled back');

      const kinds = fakes.notices().map((n) => n.kind);
      expect(kinds).toEqual(['maintenance-started', 'migration-rolled-back']);
      const rolledBack = fakes.notices()[1]!;
      expect(rolledBack).toMatchObject({ environment: from, version: to });
      expect(rolledBack.reason).toContain('183203 documents');
      expect(rolledBack.details).toContain(`Nothing on ${from} was deleted`);
    },
    TIMEOUT,
  );

  it(
    'the source was written to after its final dump: the verify step says so, and the move is rolled back',
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to, {
        // A writer the stop missed: one more smoke on the source after the dump.
        readState: (environment, data) => (environment === from ? withDocuments(data, 'smartsmoker.smokes', +1) : data),
      });
      const run = await migrateWith(fakes, { from, to });
      const { type, message, result } = failureOf(run);

      expect(type).toBe('RolledBack');
      expect(result.outcome).toBe('rolled-back');
      expect(message).toContain('written to after its final dump');
      const verify = result.steps.find((s) => s.name === 'verify')!;
      expect(verify.state).toBe('failed');
      expect(verify.detail).toContain(`${from}'s database was written to after its final dump`);
      expect(verify.detail).toContain('smartsmoker.smokes: 413 documents, the backup has 412');

      const effects = fakes.effects();
      const sourceRead = at(effects, 'databaseState source');
      expect(at(effects, 'databaseState target')).toBeLessThan(sourceRead);
      expect(effects.slice(sourceRead + 1)).toEqual(['stopApp target', 'startApp source', 'healthGate source', 'newestId source', 'smokeCheck source']);
      expect(fakes.callsOf('startApp', to)).toHaveLength(0);
      expect(stateOfSteps(result.steps)).toMatchObject({ switch: 'skipped', 'stop the target': 'succeeded', 'bring the source back': 'succeeded' });
      expect(fakes.notices().map((n) => n.kind)).toEqual(['maintenance-started', 'migration-rolled-back']);
    },
    TIMEOUT,
  );
});

describe('migrate workflow (fake activities): a dry run never touches the source', () => {
  it(
    'succeeds as a dry run: the source never stopped nor read again, the target switched, no keep-source countdown',
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to);
      const run = await migrateWith(fakes, { from, to, dryRun: true, requestedBy: 'alice' });
      const result = succeeded(run);

      expect(run.handle.workflowId).toBe(`migrate-${from}-dry-run`);
      expect(result).toMatchObject({ from, to, dryRun: true, outcome: 'dry-run' });
      expect(stateOfSteps(result.steps)).toEqual({
        plan: 'succeeded',
        preflight: 'succeeded',
        backups: 'succeeded',
        'maintenance window': 'skipped',
        'final dump': 'succeeded',
        transfer: 'succeeded',
        restore: 'succeeded',
        verify: 'succeeded',
        switch: 'succeeded',
        'smoke check': 'succeeded',
        'keep source': 'skipped',
      });
      expect(detailOf(result.steps, 'keep source')).toBe('dry run: nothing to decommission');
      expect(detailOf(result.steps, 'maintenance window')).toBe(`dry run: ${from} keeps running, untouched`);

      expect(fakes.callsOf('stopApp', from)).toHaveLength(0);
      expect(fakes.callsOf('startApp', from)).toHaveLength(0);
      expect(fakes.callsOf('databaseState', from)).toHaveLength(0);
      const effects = fakes.effects();
      expect(at(effects, 'stopApp target')).toBeLessThan(at(effects, 'restoreArchive target'));
      expect(at(effects, 'startApp target')).toBeGreaterThan(at(effects, 'databaseState target'));
      expect(result.moved!.id).toMatch(/-dry-run-copy$/);
      for (const b of result.backups) expect(b.id).toMatch(/-dry-run$/);
      expect(result.times.downAt).toBeUndefined();
      expect(result.times.downtimeSeconds).toBeUndefined();
      expect(result.keepSourceUntil).toBeUndefined();
      expect(await describeIfAny(keepSourceWorkflowId(from))).toBeUndefined();

      const mine = fakes.notices().filter((n) => n.run.workflowId === run.handle.workflowId);
      expect(mine.map((n) => n.kind)).toEqual(['dry-run-done']);
      expect(mine[0]!.details).toContain(`${from} was not stopped`);
    },
    TIMEOUT,
  );

  it(
    'fails after the restore: the target is started again (not stopped), the source is never touched',
    async () => {
      const { from, to } = ends();
      const fakes = makeFakes(from, to, {
        readState: (environment, data) => (environment === to ? withDocuments(data, 'smartsmoker.temps', -1) : data),
      });
      const run = await migrateWith(fakes, { from, to, dryRun: true });
      const { type, message, result } = failureOf(run);

      expect(type).toBe('RolledBack');
      expect(message).toContain(`dry run failed, ${from} untouched`);
      expect(result.outcome).toBe('rolled-back');
      expect(result.dryRun).toBe(true);

      const effects = fakes.effects();
      expect(effects.slice(at(effects, 'restoreArchive target') + 1)).toEqual(['databaseState target', 'startApp target']);
      // The source: read (facts, gate, backup, dump), never stopped, started, gated or compared.
      for (const name of ['stopApp', 'startApp', 'healthGate', 'databaseState', 'newestId', 'smokeCheck', 'restoreArchive'] as const) {
        expect(fakes.callsOf(name, from), name).toHaveLength(0);
      }
      expect(fakes.callsOf('stopApp', to)).toHaveLength(1);
      expect(stateOfSteps(result.steps)).toMatchObject({
        'maintenance window': 'skipped',
        verify: 'failed',
        switch: 'skipped',
        'keep source': 'skipped',
        'start the target again': 'succeeded',
      });
      expect(result.steps.some((s) => s.name === 'bring the source back')).toBe(false);
      const backupOfTarget = result.backups.find((b) => b.environment === to)!;
      expect(detailOf(result.steps, 'start the target again')).toContain(`smokestack restore ${to} --backup ${backupOfTarget.id} --yes`);
      expect(fakes.notices().map((n) => n.kind)).toEqual(['migration-failed']);
      expect(fakes.notices()[0]!.details).toContain(`${from} was never stopped`);
    },
    TIMEOUT,
  );
});
