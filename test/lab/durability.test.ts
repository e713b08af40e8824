// Durability on dev-cloud: the worker is SIGKILLed mid-deploy and a new one
// finishes the job; the host's link is cut mid-deploy and the deploy still
// ends whole; the worker is killed during a quick step and the step is
// retried as soon as its heartbeats stop. (No secret reaches any history or
// output: zz-secrets-sweep.)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { progressQuery } from '../../src/workflows/definitions.ts';
import type { DeployResult } from '../../src/workflows/types.ts';
import { activityRuns, only } from '../support/history.ts';
import { composeCalls, expectAppsRun, hostContainer, isCompose, onHost, resetHost, type ComposeCall, type LabHost } from '../support/lab.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';
import { LAB_CONFIG } from '../support/worker.ts';

const { temporal } = proto;
const taskQueue = `test-${randomUUID()}`;
const address = inject('temporalAddress');
let client: Client;
const workers: WorkerProcess[] = [];

const startWorker = async () => {
  const worker = await spawnWorker({ address, taskQueue, config: LAB_CONFIG });
  workers.push(worker);
  return worker;
};

beforeAll(async () => {
  resetHost('dev-cloud');
  client = new Client({ connection: await Connection.connect({ address }) });
});
afterAll(async () => {
  execFileSync('bash', ['-c', `docker network connect --ip 172.29.101.11 smokestack-lab ${hostContainer('dev-cloud')} 2>/dev/null; true`]);
  for (const w of workers) await w.kill('SIGKILL');
  await client?.connection.close();
});

async function startDeploy(version: string) {
  const handle = await client.workflow.start('deploy', { taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version }] });
  return handle;
}

async function waitForStep(handle: WorkflowHandle, step: string) {
  for (let i = 0; i < 1200; i++) {
    const progress = await handle.query(progressQuery).catch(() => undefined);
    if (progress?.steps.find((s) => s.name === step)?.state === 'running') return;
    await sleep(100);
  }
  throw new Error(`step ${step} never ran`);
}

/** Waits until a `compose up` is running on the host (started, not yet ended). */
async function composeUpRunning(host: LabHost, sinceMs: number): Promise<ComposeCall> {
  for (let i = 0; i < 600; i++) {
    const running = composeCalls(host).find((c) => c.startedAt >= sinceMs && isCompose(c, 'up') && c.endedAt === undefined);
    if (running) return running;
    await sleep(50);
  }
  throw new Error(`no compose up ever ran on ${host}`);
}

/** Waits until a worker has picked up the activity (it runs; it was not merely scheduled). */
async function activityStarted(handle: WorkflowHandle, type: string) {
  for (let i = 0; i < 1200; i++) {
    const { raw } = await handle.describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === type);
    if (pending?.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) return;
    await sleep(25);
  }
  throw new Error(`activity ${type} never started`);
}

function stackHealthy() {
  const health = onHost('dev-cloud', "docker inspect --format '{{.State.Health.Status}}' mongo backend_cloud frontend_cloud");
  expect(health.trim().split('\n')).toEqual(['healthy', 'healthy', 'healthy']);
}

describe('durability', () => {
  it('the worker is killed (SIGKILL) mid-deploy; a new worker finishes it, and no step did harm twice', async () => {
    const first = await startWorker();
    const startedAt = Date.now();
    const handle = await startDeploy('v1');
    await waitForStep(handle, 'start stack');
    // Kill it only once `compose up` really runs on the host (its recorder says so).
    const up = await composeUpRunning('dev-cloud', startedAt);
    const killedAt = Date.now();
    await first.kill('SIGKILL');
    await startWorker();
    const result = (await handle.result()) as DeployResult;
    expect(result.outcome).toBe('succeeded');
    await expectAppsRun('dev-cloud', 'v1');
    stackHealthy();
    // `compose up` was mid-run when the worker died...
    const call = composeCalls('dev-cloud').find((c) => c.pid === up.pid)!;
    expect(call.startedAt).toBeLessThan(killedAt);
    // ...and the interrupted step, and only it, ran again on the new worker.
    const retried = (await activityRuns(handle)).filter((r) => r.attempt > 1);
    expect(retried.map((r) => r.type)).toEqual(['startStack']);
    // One rollback point, one stack, one .env (still private).
    expect(onHost('dev-cloud', 'ls /opt/smart-smoker-dev/.smokestack/rollback | wc -l').trim()).toBe('1');
    expect(onHost('dev-cloud', "docker ps --format '{{.Names}}' | sort").trim().split('\n')).toEqual(['backend_cloud', 'frontend_cloud', 'mongo']);
    expect(onHost('dev-cloud', 'stat -c %a /opt/smart-smoker-dev/.env').trim()).toBe('600');
  });

  it('the host is cut off mid-deploy, then reconnected: the deploy retries and ends whole, never half-down', async () => {
    const handle = await startDeploy('v2');
    await waitForStep(handle, 'start stack');
    execFileSync('docker', ['network', 'disconnect', 'smokestack-lab', hostContainer('dev-cloud')]);
    await sleep(25_000);
    execFileSync('docker', ['network', 'connect', '--ip', '172.29.101.11', 'smokestack-lab', hostContainer('dev-cloud')]);
    const outcome = await handle.result().then(
      (r: DeployResult) => r.outcome,
      (e: any) => (e.cause?.details?.[0] as DeployResult | undefined)?.outcome,
    );
    expect(['succeeded', 'rolled-back']).toContain(outcome);
    await expectAppsRun('dev-cloud', outcome === 'succeeded' ? 'v2' : 'v1');
    stackHealthy();
    // The cut was noticed, not slept through: an attempt failed or timed out and was retried.
    const noticed = (await activityRuns(handle)).filter((r) => r.attempt > 1 || r.timeoutType);
    expect(noticed.length, 'an activity retried after the cut').toBeGreaterThan(0);
  });

  it('the worker is killed during a quick step (preflight): the step is retried once its heartbeats stop, not after its whole budget', async () => {
    // One worker, the one that dies.
    for (const w of workers) await w.kill('SIGKILL');
    await startWorker();
    const handle = await startDeploy('v1');
    await activityStarted(handle, 'preflight');
    await workers.at(-1)!.kill('SIGKILL');
    await startWorker();
    const result = (await handle.result()) as DeployResult;
    expect(result.outcome).toBe('succeeded');
    await expectAppsRun('dev-cloud', 'v1');
    // Retried because its heartbeats stopped (20 s), not because its 180 s start-to-close ran out.
    const preflight = only(await activityRuns(handle), 'preflight');
    expect(preflight.attempt).toBe(2);
    expect(preflight.retriedAfter).toBe('timeout TIMEOUT_TYPE_HEARTBEAT');
  });
});
