// npm run bench:fleet: a promotion's rollout to 200 devices, rolling with
// concurrency 10 (targets: devices step <= 1.2 x ceil(200/10) x the
// per-device time; worker RSS <= 300 MB). In one run:
//  1. measure: the real deploy on the lab host smoker-3, v1 then v2; the v2
//     run's activities and their durations are the per-device script;
//  2. simulate: the real workflows (promote, deviceUpdate, deploy, notifier)
//     on a worker of this process whose activities replay that script, one
//     sleep per step, with plausible results; nothing touches a host;
//  3. report the rollout's wall time against the bound, the process's peak
//     RSS (it hosts the worker) and the history events per device workflow.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../src/activities/index.ts';
import { planDeploy } from '../src/activities/plan.ts';
import { loadConfig } from '../src/config/load.ts';

import { approveUpdate, deployWorkflowId, deviceUpdateWorkflowId, promotionProgressQuery } from '../src/workflows/definitions.ts';
import { digestIn, repositoryOf } from '../src/workflows/image-refs.ts';
import type { DeployResult, HostTarget, PromotionResult, RolloutStrategy } from '../src/workflows/types.ts';
import { activityRuns } from '../test/support/history.ts';
import { LAB_CONFIG, labServer, startWorker } from '../test/support/worker.ts';
import { fmt, median, sh, splitRun } from './support.ts';

const DEVICES = 200;
const ROLLOUT: RolloutStrategy = { strategy: 'rolling', batchSize: 10, pauseSeconds: 0, maxFailures: 0, concurrency: 10 };
const LAB_DEVICE = 'smoker-3';
/** Devices whose histories are read: first, last and between. */
const SAMPLED = [1, 50, 100, 150, 200];

// The worker runs in this process, so this process's RSS is the worker's.
// The machine's load is kept beside it: other work on the lab's CPUs shows in the figures.
let peakRss = 0;
let peakLoad = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  peakLoad = Math.max(peakLoad, loadavg()[0]!);
}, 250);

// ---- 1. measure one real device deploy

const real = await startWorker(LAB_CONFIG, labServer());
const deploy = async (version: string) => {
  const handle = await real.client.workflow.start('deploy', { taskQueue: real.taskQueue, workflowId: deployWorkflowId(LAB_DEVICE), args: [{ environment: LAB_DEVICE, version }] });
  const result = (await handle.result()) as DeployResult;
  if (result.outcome !== 'succeeded') throw new Error(`deploy ${version} to ${LAB_DEVICE}: ${result.outcome}: ${result.error ?? ''}`);
  // Its notifier outlives it on this worker's queue: stopping the worker first would strand it there.
  await real.client.workflow.getHandle(`${handle.workflowId}-notices-${handle.firstExecutionRunId}`).result();
  return { handle, result };
};
// Scheduled -> closed: what the workflow waited for each step, its dispatch included.
let script: Map<string, number>;
let realSeconds: number;
let measured: Awaited<ReturnType<typeof deploy>>;
try {
  await deploy('v1'); // so that v2 replaces a running stack, as a promotion does
  measured = await deploy('v2');
  script = new Map((await activityRuns(measured.handle)).map((r) => [r.type, r.closedAt! - r.scheduledAt]));
  realSeconds = (await splitRun(measured.handle)).wallSeconds;
} finally {
  await real.stop();
}
// prune is a local activity, absent from the activity task events: its time is the runbook's.
const prune = measured.result.steps.find((s) => s.name === 'prune')!;
script.set('pruneHost', prune.endedAt! - prune.startedAt!);

console.log(`\nper-device script: the v2 deploy's steps on ${LAB_DEVICE} (${fmt(realSeconds)} start -> close)`);
for (const [type, ms] of script) console.log(`  ${type.padEnd(22)} ${String(Math.round(ms)).padStart(6)} ms`);

// ---- 2. simulate 200 devices with the real workflows

// What smoker-3 runs after v2: every simulated device and dev "run" the same images.
const images = measured.result.services;
const repositories = loadConfig(LAB_CONFIG).promotion!.repositories.filter((r) => images.some((i) => repositoryOf(i.image) === r && digestIn(i.digest)));
const devicePlan = await planDeploy(LAB_CONFIG, { environment: LAB_DEVICE, version: 'v2' });
const devices = Array.from({ length: DEVICES }, (_, i) => `device-${String(i + 1).padStart(3, '0')}`);
// TEST-NET: nothing is ever reached there; the fakes never connect.
const nowhere: HostTarget = { host: '192.0.2.1', port: 22, user: 'bench', privateKey: '/dev/null', connectTimeoutSeconds: 5 };

/** A step of the script: as long as on smoker-3, then `value` (steps the deploy never ran take no time). */
async function replay<T>(type: keyof Activities, value: T): Promise<T> {
  await sleep(script.get(type) ?? 0);
  return value;
}

// Values consistent with candidateFrom: dev healthy, its last deploy succeeded, same images, free tags.
const fakes: Partial<Activities> = {
  planDeploy: (input) => replay('planDeploy', { ...devicePlan, environment: input.environment, version: input.version }),
  preflight: () => replay('preflight', { compose: 'v2', composeVersion: '2.29.0', dockerVersion: '27.3.0', freeDiskMb: 8000, current: 'healthy' }),
  captureRollbackPoint: (plan) =>
    replay('captureRollbackPoint', { existed: true, savedDir: `${plan.deployDir}/.smokestack/rollback/bench`, savedFiles: [], previousVersion: 'v1', images }),
  backupDatabase: () => replay('backupDatabase', null),
  holdServices: () => replay('holdServices', undefined),
  uploadStack: () => replay('uploadStack', undefined),
  pullImages: () => replay('pullImages', images),
  startStack: () => replay('startStack', undefined),
  healthGate: (_plan, expected) => replay('healthGate', expected.map((i) => ({ service: i.service, container: i.service, healthy: true, detail: 'healthy' }))),
  releaseServices: () => replay('releaseServices', undefined),
  pruneHost: () => replay('pruneHost', { removed: [], kept: 5 }),
  probeHost: async () => ({ online: true, detail: 'simulated: online' }),
  notify: async () => undefined,
  planPromotion: async (input) => ({
    release: input.release,
    from: ['bench-dev'],
    to: 'bench-cloud',
    devices,
    hosts: Object.fromEntries(['bench-cloud', ...devices].map((name) => [name, nowhere])),
    registry: { url: 'http://bench.invalid' },
    repositories,
    approvers: ['bench'],
    allowSelfApproval: false,
    approvalTimeoutSeconds: 600,
    reminderSeconds: 600,
    funnel: [],
    deviceWait: { limitSeconds: 600, probeMaxSeconds: 10 },
    rollout: ROLLOUT,
  }),
  inspectRunning: async (plan) => ({ environment: plan.environment, version: 'v2', images, healthy: true }),
  lastDeploys: async (environments) => environments.map((environment) => ({ environment, outcome: 'succeeded' as const, version: 'v2', services: images })),
  readTags: async (_registry, repos) => Object.fromEntries(repos.map((r) => [r, null])),
  pointTags: async (_registry, released) => Object.fromEntries(released.map((i) => [i.repository, null])),
};

const { address } = labServer();
const native = await NativeConnection.connect({ address });
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace: 'default' });
// Its own task queue: the children (deviceUpdate, deploy, notifier) follow their parent onto it.
const taskQueue = `bench-fleet-${randomUUID()}`;
// The workflow code as the compiled worker (npm run worker) runs it: bundled at build time.
sh('npm run build --silent');
const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url)) }, activities: fakes });
const running = worker.run();
// What the worker costs before any device: the rollout's own share is the peak minus this.
const idleRss = process.memoryUsage().rss;
// Activities and the SDK's bridge share this thread: a late timer is a late step.
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

try {
  const workflowId = `bench-fleet-${randomUUID()}`;
  const handle = await client.workflow.start('promote', { taskQueue, workflowId, args: [{ release: `bench-${Date.now().toString(36)}`, requestedBy: 'bench-fleet' }] });
  // The gate refuses an answer until it opens: wait for it, then say yes at once.
  for (let i = 0; (await handle.query(promotionProgressQuery)).phase !== 'waiting for approval'; i++) {
    if (i > 600) throw new Error('the promotion never asked for approval');
    await sleep(100);
  }
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'bench', reason: 'bench:fleet' }] });
  const result = (await handle.result()) as PromotionResult;
  if (result.outcome !== 'released') throw new Error(`promotion ended ${result.outcome}: ${result.error ?? ''}`);
  // Its notifier delivers the last notice after the run: the worker stays until then.
  await client.workflow.getHandle(`${workflowId}-notices-${handle.firstExecutionRunId}`).result();

  // ---- 3. report

  const step = result.steps.find((s) => s.name === 'devices')!;
  const rolloutSeconds = (step.endedAt! - step.startedAt!) / 1000;
  const batches = Math.ceil(DEVICES / ROLLOUT.batchSize);
  const sampled = await Promise.all(
    SAMPLED.map(async (n) => {
      const update = client.workflow.getHandle(deviceUpdateWorkflowId(devices[n - 1]!));
      const deployRun = client.workflow.getHandle(deployWorkflowId(devices[n - 1]!));
      const count = async (h: typeof update) => (await h.fetchHistory()).events?.length ?? 0;
      return { seconds: (await splitRun(update)).wallSeconds, updateEvents: await count(update), deployEvents: await count(deployRun) };
    }),
  );
  const simSeconds = median(sampled.map((s) => s.seconds));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const bound = 1.2 * batches * realSeconds;

  const rows: [string, string][] = [
    [`per-device time: real deploy on ${LAB_DEVICE} (v1 -> v2)`, fmt(realSeconds)],
    [`per-device time: simulated deviceUpdate, median of ${SAMPLED.length}`, fmt(simSeconds)],
    [`devices step, ${DEVICES} devices, rolling by ${ROLLOUT.batchSize}`, fmt(rolloutSeconds)],
    [`bound 1.2 x ${batches} x real per-device time`, fmt(bound)],
    ['    devices step / bound (target <= 1.0)', (rolloutSeconds / bound).toFixed(3)],
    ['    devices step / (batches x simulated device time)', (rolloutSeconds / (batches * simSeconds)).toFixed(3)],
    ['peak RSS of this process, worker included (target <= 300 MB)', `${(peakRss / 2 ** 20).toFixed(0)} MB`],
    ['    RSS with the worker started, before the promotion', `${(idleRss / 2 ** 20).toFixed(0)} MB`],
    ['    event loop delay during the promotion, p99 / max', `${(lag.percentile(99) / 1e6).toFixed(0)} / ${(lag.max / 1e6).toFixed(0)} ms`],
    ['    peak 1-minute load average of the machine', `${peakLoad.toFixed(2)} on ${availableParallelism()} CPUs`],
    [`history events per deviceUpdate, mean of ${SAMPLED.length}`, mean(sampled.map((s) => s.updateEvents)).toFixed(1)],
    [`history events per device deploy, mean of ${SAMPLED.length}`, mean(sampled.map((s) => s.deployEvents)).toFixed(1)],
    ['    simulated device times (s)', sampled.map((s) => s.seconds.toFixed(2)).join(', ')],
    ['    devices updated', `${result.devices.filter((d) => d.state === 'updated').length} of ${DEVICES}`],
  ];
  console.log(`\nbench:fleet: devices simulated, each replaying the step latencies measured from a real deploy on ${LAB_DEVICE}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(62)} ${v}`);
} finally {
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  clearInterval(sampler);
}
