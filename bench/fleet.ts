// npm run bench:fleet: a promotion's rollout to 200 devices, rolling with
// concurrency 10 (targets: devices step <= 1.2 x ceil(200/10) x the
// per-device time; worker RSS <= 300 MB). In one run:
//  1. measure: the real deploy on the lab host smoker-3, v1 then v2; the v2
//     run's activities and their durations are the per-device script;
//  2. simulate: the real workflows (promote, deviceUpdate, deploy, notifier)
//     on a compiled worker process of their own (bench/fleet-worker.ts)
//     whose activities replay that script, one sleep per step, with
//     plausible results; nothing touches a host;
//  3. report the rollout's wall time against the bound, that worker's peak
//     RSS and the history events per device workflow.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { planDeploy } from '../src/activities/plan.ts';
import { loadConfig } from '../src/config/load.ts';
import { signedAnswer } from '../test/support/signing.ts';
import { approveUpdate, deployWorkflowId, deviceUpdateWorkflowId, promotionProgressQuery } from '../src/workflows/definitions.ts';
import { digestIn, repositoryOf } from '../src/workflows/image-refs.ts';
import type { DeployResult, PromotionResult, RolloutStrategy } from '../src/workflows/types.ts';
import type { FleetScenario } from './fleet-worker.ts';
import { activityRuns } from '../test/support/history.ts';
import { LAB_CONFIG, labServer, startWorker } from '../test/support/worker.ts';
import { fmt, median, sh, splitRun } from './support.ts';

const DEVICES = 200;
const ROLLOUT: RolloutStrategy = { strategy: 'rolling', batchSize: 10, pauseSeconds: 0, maxFailures: 0, concurrency: 10 };
const LAB_DEVICE = 'smoker-3';
/** Devices whose histories are read: first, last and between. */
const SAMPLED = [1, 50, 100, 150, 200];

// The machine's load is kept beside the figures: other work on the lab's CPUs shows in them.
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
let script: Map<string, number>;
let realSeconds: number;
let measured: Awaited<ReturnType<typeof deploy>>;
try {
  await deploy('v1'); // so that v2 replaces a running stack, as a promotion does
  measured = await deploy('v2');
  // Started -> closed: the step's own time on the worker. Its dispatch (scheduled -> started) is
  // not replayed: the simulated run pays its own, under the load of ten devices at once.
  script = new Map((await activityRuns(measured.handle)).map((r) => [r.type, r.closedAt! - r.startedAt!]));
  realSeconds = (await splitRun(measured.handle)).wallSeconds;
} finally {
  await real.stop();
}
// prune is a local activity, absent from the activity task events: its time is the runbook's.
const prune = measured.result.steps.find((s) => s.name === 'prune')!;
script.set('pruneHost', prune.endedAt! - prune.startedAt!);

const ownMs = [...script.values()].reduce((a, b) => a + b, 0);
console.log(`\nper-device script: the v2 deploy's steps on ${LAB_DEVICE}, each started -> closed on the worker`);
console.log(`  (the deploy took ${fmt(realSeconds)} start -> close; its steps ${fmt(ownMs / 1000)} of it)`);
for (const [type, ms] of script) console.log(`  ${type.padEnd(22)} ${String(Math.round(ms)).padStart(6)} ms`);

// ---- 2. simulate 200 devices with the real workflows, on a worker process of their own

// What smoker-3 runs after v2: every simulated device and dev "run" the same images.
const images = measured.result.services;
const repositories = loadConfig(LAB_CONFIG).promotion!.repositories.filter((r) => images.some((i) => repositoryOf(i.image) === r && digestIn(i.digest)));
const devices = Array.from({ length: DEVICES }, (_, i) => `device-${String(i + 1).padStart(3, '0')}`);
const { address } = labServer();
// Its own task queue: the children (deviceUpdate, deploy, notifier) follow their parent onto it.
const taskQueue = `bench-fleet-${randomUUID()}`;
const scenario: FleetScenario = {
  address,
  configFile: LAB_CONFIG,
  taskQueue,
  workflowBundle: fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url)),
  script: [...script],
  images,
  devicePlan: await planDeploy(LAB_CONFIG, { environment: LAB_DEVICE, version: 'v2' }),
  devices,
  repositories,
  rollout: ROLLOUT,
};
const scenarioFile = join(mkdtempSync(join(tmpdir(), 'bench-fleet-')), 'scenario.json');
writeFileSync(scenarioFile, JSON.stringify(scenario));
// The worker as `npm run worker` runs it: compiled, with the workflow code bundled at build time.
sh('npm run build --silent && npx tsc -p tsconfig.bench.json');
const workerProcess = spawn(process.execPath, ['dist-bench/bench/fleet-worker.js', scenarioFile], { stdio: ['ignore', 'pipe', 'inherit'] });
const said = createInterface({ input: workerProcess.stdout! })[Symbol.asyncIterator]();
const nextLine = async () => JSON.parse(((await said.next()).value as string | undefined) ?? 'null') as { idleRss: number; peakRss?: number } | null;
const ready = await nextLine();
if (!ready) throw new Error('the bench worker exited before it was ready');

const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace: 'default' });
// The bench's own process only starts the promotion and waits: a late timer here is a late answer.
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let workerRss: { idleRss: number; peakRss?: number } | null = null;

try {
  const workflowId = `bench-fleet-${randomUUID()}`;
  const handle = await client.workflow.start('promote', { taskQueue, workflowId, args: [{ release: `bench-${Date.now().toString(36)}`, requestedBy: 'bench-fleet' }] });
  // The gate refuses an answer until it opens: wait for it, then say yes at once.
  for (let i = 0; (await handle.query(promotionProgressQuery)).phase !== 'waiting for approval'; i++) {
    if (i > 600) throw new Error('the promotion never asked for approval');
    await sleep(100);
  }
  const answer = await handle.executeUpdate(approveUpdate, { args: [await signedAnswer(client, 'approve', 'bob', undefined, 'bob', workflowId)] });
  if (!answer.accepted) throw new Error(`the signed approval was refused: ${answer.why}`);
  const result = (await handle.result()) as PromotionResult;
  if (result.outcome !== 'released') throw new Error(`promotion ended ${result.outcome}: ${result.error ?? ''}`);
  // Its notifier delivers the last notice after the run: the worker stays until then.
  await client.workflow.getHandle(`${workflowId}-notices-${handle.firstExecutionRunId}`).result();
  lag.disable();
  workerProcess.kill('SIGTERM');
  workerRss = await nextLine();
  if (!workerRss?.peakRss) throw new Error('the bench worker did not report its memory');

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
    ['peak RSS of the worker process (target <= 300 MB)', `${mb(workerRss.peakRss!)} MB`],
    ['    its RSS once polling, before the promotion', `${mb(workerRss.idleRss)} MB`],
    ['    peak RSS of the bench process (client; measured the real deploy)', `${mb(peakRss)} MB`],
    ['    bench event loop delay during the promotion, p99 / max', `${(lag.percentile(99) / 1e6).toFixed(0)} / ${(lag.max / 1e6).toFixed(0)} ms`],
    ['    peak 1-minute load average of the machine', `${peakLoad.toFixed(2)} on ${availableParallelism()} CPUs`],
    [`history events per deviceUpdate, mean of ${SAMPLED.length}`, mean(sampled.map((s) => s.updateEvents)).toFixed(1)],
    [`history events per device deploy, mean of ${SAMPLED.length}`, mean(sampled.map((s) => s.deployEvents)).toFixed(1)],
    ['    simulated device times (s)', sampled.map((s) => s.seconds.toFixed(2)).join(', ')],
    ['    devices updated', `${result.devices.filter((d) => d.state === 'updated').length} of ${DEVICES}`],
  ];
  console.log(`\nbench:fleet: devices simulated, each replaying the step latencies measured from a real deploy on ${LAB_DEVICE}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(62)} ${v}`);
} finally {
  if (workerProcess.exitCode === null) workerProcess.kill('SIGTERM');
  await connection.close();
  clearInterval(sampler);
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
