// One deploy per environment at a time: a second start is refused naming the
// running deploy, or waits its turn with --queue; different environments
// deploy in parallel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeployResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { resetHost } from '../support/lab.ts';
import { deployInput, SIGN_AS_BOB } from '../support/signing.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

let w: TestWorker;
beforeAll(async () => {
  // Both hosts start empty, so the two deploys take the same steps at the same pace.
  resetHost('prod-cloud');
  resetHost('dev-cloud');
  w = await startWorker();
});
afterAll(async () => w?.stop());

const start = async (environment: string, version: string) =>
  w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: `deploy-${environment}`, args: [await deployInput({ environment, version })] });
const cli = (args: string[]) => runCli(args, { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue });

it('a second deploy to the same environment is refused, or queued; two environments deploy in parallel', async () => {
  const prod = await start('prod-cloud', 'v1');
  const dev = await start('dev-cloud', 'v1');

  const refused = await cli(['deploy', 'prod-cloud', '--version', 'v2', '--wait', ...SIGN_AS_BOB]);
  expect(refused.code).toBe(3);
  expect(refused.stdout).toContain(`refused: a deploy to prod-cloud is already running: deploy-prod-cloud (run ${prod.firstExecutionRunId}, v1`);

  const queued = await cli(['deploy', 'prod-cloud', '--version', 'v2', '--wait', '--queue', ...SIGN_AS_BOB]);
  expect(queued.stdout).toContain('queued: waiting for the running deploy deploy-prod-cloud');
  expect(queued.code, queued.stdout).toBe(0);
  expect(queued.stdout).toContain('succeeded: prod-cloud runs v2');

  const [prodResult, devResult] = (await Promise.all([prod.result(), dev.result()])) as DeployResult[];
  expect(prodResult!.outcome).toBe('succeeded');
  expect(devResult!.outcome).toBe('succeeded');
  // Both changed their hosts at once: each one's `start stack` began before
  // the other's ended. (Workflow open and close times would overlap even if
  // the steps were serialised by a lock across environments.)
  const startStack = (r: DeployResult) => r.steps.find((s) => s.name === 'start stack')!;
  const [p, d] = [startStack(prodResult!), startStack(devResult!)];
  expect(p.state).toBe('succeeded');
  expect(d.state).toBe('succeeded');
  expect(p.startedAt!).toBeLessThan(d.endedAt!);
  expect(d.startedAt!).toBeLessThan(p.endedAt!);

  const status = await cli(['status', 'prod-cloud']);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/prod-cloud: last deploy v2 succeeded/);
});
