// bench:fleet's worker, in a process of its own so that its resident memory
// is the worker's alone (not the bench's client, nor the real worker that
// measured the script). Compiled like `npm run worker` (no tsx) and running
// the workflow bundle `npm run build` made: the real workflows (promote,
// deviceUpdate, deploy, notifier) with activities that replay the measured
// per-device script, one sleep per step. Nothing touches a host.
//
//   node dist-bench/bench/fleet-worker.js SCENARIO.json
// prints `{"ready":…}` once polling, and `{"peakRss":…}` after SIGTERM.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../src/activities/index.ts';
import type { DeployPlan, HostTarget, RolloutStrategy, ServiceImage } from '../src/workflows/types.ts';

export interface FleetScenario {
  address: string;
  configFile: string;
  taskQueue: string;
  workflowBundle: string;
  /** Activity type -> milliseconds, measured from the real deploy. */
  script: [string, number][];
  images: ServiceImage[];
  devicePlan: DeployPlan;
  devices: string[];
  repositories: string[];
  rollout: RolloutStrategy;
}

const scenario = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FleetScenario;
const script = new Map(scenario.script);
const { images, devicePlan, devices, repositories } = scenario;
// TEST-NET: nothing is ever reached there; the fakes never connect.
const nowhere: HostTarget = { host: '192.0.2.1', port: 22, user: 'bench', privateKey: '/dev/null', connectTimeoutSeconds: 5 };

/** A step of the script: as long as on the lab device, then `value` (steps the deploy never ran take no time). */
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
    // The lab's approvers: the answer is signed with bob's lab key and checked by the real activity.
    approvers: ['bob', 'carol'],
    allowSelfApproval: false,
    approvalTimeoutSeconds: 600,
    reminderSeconds: 600,
    funnel: [],
    deviceWait: { limitSeconds: 600, probeMaxSeconds: 10 },
    rollout: scenario.rollout,
  }),
  inspectRunning: async (plan) => ({ environment: plan.environment, version: 'v2', images, healthy: true }),
  lastDeploys: async (environments) => environments.map((environment) => ({ environment, outcome: 'succeeded' as const, version: 'v2', services: images })),
  readTags: async (_registry, repos) => Object.fromEntries(repos.map((r) => [r, null])),
  pointTags: async (_registry, released) => Object.fromEntries(released.map((i) => [i.repository, null])),
};

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const connection = await NativeConnection.connect({ address: scenario.address });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: scenario.taskQueue,
  workflowBundle: { codePath: scenario.workflowBundle },
  // Every activity module the real worker loads is loaded here too (SSH, MongoDB, Discord): the fakes replace only what they simulate.
  activities: { ...createActivities({ configFile: scenario.configFile }), ...fakes },
});
const running = worker.run();
const idleRss = process.memoryUsage().rss;
console.log(JSON.stringify({ ready: true, idleRss }));

process.once('SIGTERM', () => {
  worker.shutdown();
  void running.then(async () => {
    await connection.close();
    clearInterval(sampler);
    console.log(JSON.stringify({ peakRss: Math.max(peakRss, process.memoryUsage().rss), idleRss }));
  });
});
