// Durability on dev-cloud: the worker is SIGKILLed mid-deploy and a new one
// finishes the job; the host's link is cut mid-deploy and the deploy still
// ends whole; and no secret ever reaches the history or the worker's output.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { progressQuery } from '../../src/workflows/definitions.ts';
import type { DeployResult } from '../../src/workflows/types.ts';
import { hostContainer, onHost, registryDigest, resetHost, runningDigests } from '../support/lab.ts';
import { LAB_CACHE } from '../support/paths.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';
import { LAB_CONFIG } from '../support/worker.ts';

const EventType = temporal.api.enums.v1.EventType;
const APPS = { backend_cloud: 'benjr70/smart-smoker-backend', frontend_cloud: 'benjr70/smart-smoker-frontend' };
const taskQueue = `test-${randomUUID()}`;
const address = inject('temporalAddress');
let client: Client;
const workers: WorkerProcess[] = [];
const handles: WorkflowHandle[] = [];

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
  handles.push(handle);
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

async function appsRun(version: string) {
  const running = runningDigests('dev-cloud', Object.keys(APPS));
  for (const [container, repo] of Object.entries(APPS)) {
    expect(running[container], container).toContain(`${repo}@${await registryDigest(repo, version)}`);
  }
}

function stackHealthy() {
  const health = onHost('dev-cloud', "docker inspect --format '{{.State.Health.Status}}' mongo backend_cloud frontend_cloud");
  expect(health.trim().split('\n')).toEqual(['healthy', 'healthy', 'healthy']);
}

describe('durability', () => {
  it('the worker is killed (SIGKILL) mid-deploy; a new worker finishes it, and no step did harm twice', async () => {
    const first = await startWorker();
    const handle = await startDeploy('v1');
    await waitForStep(handle, 'start stack');
    await first.kill('SIGKILL');
    await startWorker();
    const result = (await handle.result()) as DeployResult;
    expect(result.outcome).toBe('succeeded');
    await appsRun('v1');
    stackHealthy();
    // The interrupted step really ran again, on the new worker.
    const history = await handle.fetchHistory();
    const retried = history.events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && e.activityTaskStartedEventAttributes!.attempt! > 1);
    expect(retried.length).toBeGreaterThan(0);
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
    await appsRun(outcome === 'succeeded' ? 'v2' : 'v1');
    stackHealthy();
  });

  it('no secret value is in any workflow history or in the worker output', async () => {
    const dir = join(LAB_CACHE, 'lab/secrets');
    const secrets = readdirSync(dir).flatMap((f) => {
      const value = readFileSync(join(dir, f), 'utf8').trim();
      return f === 'discord-webhook-url' ? [value.split('/').pop()!] : [value, encodeURIComponent(value)];
    });
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    expect(handles.length).toBeGreaterThanOrEqual(2);
    for (const handle of handles) {
      const history = historyText(await handle.fetchHistory());
      expect(history).toContain('deployDir'); // payloads are decoded (base64 would hide this, and a secret)
      for (const secret of secrets) expect(history.includes(secret), 'secret in history').toBe(false);
    }
    const output = workers.map((w) => w.output()).join('\n');
    expect(output).toContain('uploadStack'); // the worker did log its work...
    for (const secret of secrets) expect(output.includes(secret), 'secret in worker output').toBe(false);
  });
});

/** Every payload of a history decoded to text (payloads are bytes, which JSON would show as base64). */
function historyText(history: unknown): string {
  const plain = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
  };
  return JSON.stringify(plain(history));
}
