// Device stacks: the virtual smoker and the Pi, with Watchtower held for the
// length of a deploy (it must never race one) and started again after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { DeployResult } from '../../src/workflows/types.ts';
import { composeCalls, containerEvents, isCompose, onHost, registryDigest, resetHost, runningDigests, type LabHost } from '../support/lab.ts';
import { deployInput } from '../support/signing.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

let w: TestWorker;
beforeAll(async () => {
  resetHost('virtual-smoker');
  resetHost('smoker');
  onHost('virtual-smoker', 'rm -f /var/log/tailscale.calls');
  w = await startWorker();
});
afterAll(async () => w?.stop());

async function deploy(environment: LabHost, version: string) {
  const handle = await w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: `deploy-${environment}`, args: [await deployInput({ environment, version })] });
  return handle.result().then(
    (r: DeployResult) => r,
    (e: unknown) => ((e as WorkflowFailedError).cause as ApplicationFailure).details![0] as DeployResult,
  );
}

/**
 * Seen from the host itself (its Docker engine's events and its Compose
 * recorder): Watchtower stopped before the deploy pulled anything, stayed
 * stopped while images were pulled and containers started, and started
 * again after the last of them. Returns the compose calls it covered.
 */
function expectWatchtowerHeldThrough(host: LabHost, since: number): string[] {
  const events = containerEvents(host, 'watchtower', since);
  const stopped = events.find((e) => e.action === 'stop' || e.action === 'die');
  expect(stopped, `${host}: watchtower stopped`).toBeDefined();
  const restarted = events.find((e) => e.action === 'start' && e.at > stopped!.at);
  expect(restarted, `${host}: watchtower started again`).toBeDefined();
  const work = composeCalls(host).filter((c) => c.startedAt >= since && (isCompose(c, 'pull') || (isCompose(c, 'up') && !/ watchtower$/.test(c.args))));
  expect(work.some((c) => isCompose(c, 'pull')), `${host}: images were pulled`).toBe(true);
  expect(work.some((c) => isCompose(c, 'up')), `${host}: containers were started`).toBe(true);
  for (const call of work) {
    expect(call.startedAt, `${host}: ${call.args} started after watchtower stopped`).toBeGreaterThan(stopped!.at);
    expect(call.endedAt!, `${host}: ${call.args} ended before watchtower started`).toBeLessThan(restarted!.at);
  }
  return work.map((c) => c.args);
}

const startedAt = (host: LabHost, container: string) => new Date(onHost(host, `docker inspect --format '{{.State.StartedAt}}' ${container}`).trim());
const running = (host: LabHost, container: string) => onHost(host, `docker inspect --format '{{.State.Running}}' ${container}`).trim() === 'true';

describe('device stacks', () => {
  it('virtual smoker: v1 then v2 (arm/v7 device service), Watchtower held and released', async () => {
    expect((await deploy('virtual-smoker', 'v1')).outcome).toBe('succeeded');
    const watchtowerBefore = startedAt('virtual-smoker', 'watchtower');
    const since = Date.now();
    const result = await deploy('virtual-smoker', 'v2');
    expectWatchtowerHeldThrough('virtual-smoker', since);
    expect(result.outcome).toBe('succeeded');
    expect(result.steps.find((s) => s.name === 'hold services')).toMatchObject({ state: 'succeeded', detail: 'stopped watchtower' });
    expect(result.steps.find((s) => s.name === 'release services')).toMatchObject({ state: 'succeeded' });
    // Stopped for the deploy, started again after the health gate.
    expect(running('virtual-smoker', 'watchtower')).toBe(true);
    const healthGateEnded = result.steps.find((s) => s.name === 'health gate')!.endedAt!;
    expect(startedAt('virtual-smoker', 'watchtower').getTime()).toBeGreaterThan(watchtowerBefore.getTime());
    expect(startedAt('virtual-smoker', 'watchtower').getTime()).toBeGreaterThanOrEqual(healthGateEnded - 2000);
    const digest = await registryDigest('benjr70/smart-smoker-device-service', 'v2');
    expect(runningDigests('virtual-smoker', ['device_service']).device_service).toContain(`benjr70/smart-smoker-device-service@${digest}`);
    expect(onHost('virtual-smoker', "docker image inspect --format '{{.Architecture}}' $(docker inspect --format '{{.Image}}' device_service)").trim()).toBe('arm');
    expect(onHost('virtual-smoker', 'cat /var/log/tailscale.calls')).toMatch(/ status$/m);
  });

  it('the Pi: v1 runs its kiosk; broken rolls back to v1 and Watchtower runs again', async () => {
    expect((await deploy('smoker', 'v1')).outcome).toBe('succeeded');
    expect(onHost('smoker', 'docker exec electron_shell pgrep -x smoker-shell').trim()).toMatch(/^\d+$/);
    const v1 = runningDigests('smoker', ['device_service', 'frontend_smoker', 'electron_shell']);

    const since = Date.now();
    const result = await deploy('smoker', 'broken');
    expect(result.outcome).toBe('rolled-back');
    // Held through the failed start and the restore of v1 alike.
    expect(expectWatchtowerHeldThrough('smoker', since).filter((args) => / up /.test(args)).length).toBeGreaterThanOrEqual(2);
    expect(runningDigests('smoker', ['device_service', 'frontend_smoker', 'electron_shell'])).toEqual(v1);
    expect(running('smoker', 'watchtower')).toBe(true);
    expect(JSON.parse(onHost('smoker', 'curl -s http://127.0.0.1:3003/api/health'))).toMatchObject({ status: 'ok', version: 'v1' });
  });
});
