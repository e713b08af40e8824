// Bad input is refused with a clear message before anything reaches a host:
// the hosts' containers and files are exactly as they were.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { runCli } from '../support/cli.ts';
import { deployInput } from '../support/signing.ts';
import { hostContainer, hostSnapshot, tryOnHost, type LabHost } from '../support/lab.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const HOSTS: LabHost[] = ['dev-cloud', 'prod-cloud', 'virtual-smoker', 'smoker'];
let w: TestWorker;
let before: Record<string, string>;

beforeAll(async () => {
  w = await startWorker();
  before = Object.fromEntries(HOSTS.map((h) => [h, hostSnapshot(h)]));
});
afterAll(async () => {
  spawnSync('docker', ['unpause', hostContainer('prod-cloud')], { stdio: 'ignore' }); // in case a test stopped halfway
  await w?.stop();
});

function expectHostsUntouched() {
  for (const h of HOSTS) {
    expect(hostSnapshot(h), h).toBe(before[h]);
    expect(tryOnHost(h, 'test -e /pwned').code, `${h}: /pwned`).not.toBe(0);
  }
  // Nor ran anything on the worker's own machine.
  expect(existsSync('/pwned'), 'the worker machine: /pwned').toBe(false);
}

const cli = (args: string[]) => runCli(args, { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue });

async function failureOf(environment: string, version: string): Promise<string> {
  const handle = await w.client.workflow.start('deploy', {
    taskQueue: w.taskQueue,
    workflowId: `deploy-${environment}`,
    // Signed where the environment is protected, so that the deploy fails for the input's own fault, not for a missing request.
    args: [await deployInput({ environment, version })],
  });
  const err = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause?.message ?? '';
}

describe('bad input', () => {
  it('an unknown environment: the CLI refuses and starts nothing', async () => {
    const run = await cli(['deploy', 'staging', '--version', 'v1', '--wait']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown environment "staging"; known: dev-cloud, prod-cloud, virtual-smoker, smoker');
    await expect(w.client.workflow.getHandle('deploy-staging').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expectHostsUntouched();
  });

  it('a version that is not an image tag: refused by the CLI and by the workflow itself', async () => {
    const run = await cli(['deploy', 'dev-cloud', '--version', 'v1;touch /pwned', '--wait']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--version "v1;touch /pwned" must be an image tag');
    // A client that skips the CLI's checks gets the same answer from the workflow's plan step.
    expect(await failureOf('dev-cloud', 'v1;touch /pwned')).toContain('version "v1;touch /pwned" is not an image tag');
    expect(await failureOf('dev-cloud', '$(touch /pwned)')).toContain('is not an image tag');
    expectHostsUntouched();
  });

  it('a host that does not answer: the deploy fails saying so, and the host is unchanged', async () => {
    execFileSync('docker', ['pause', hostContainer('prod-cloud')]);
    try {
      const message = await failureOf('prod-cloud', 'v1');
      expect(message).toMatch(/cannot reach root@172\.29\.101\.12:22 over SSH/);
    } finally {
      execFileSync('docker', ['unpause', hostContainer('prod-cloud')]);
    }
    expectHostsUntouched();
  });
});
