// A pinned SSH host key: a host presenting another key is refused at once
// (no retries, nothing touched); the right key deploys as usual.
import { afterAll, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { DeployResult } from '../../src/workflows/types.ts';
import { labConfigWith } from '../support/config.ts';
import { hostSnapshot, onHost } from '../support/lab.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const workers: TestWorker[] = [];
afterAll(async () => {
  for (const w of workers) await w.stop();
});

async function deployWithHostKey(hostKey: string) {
  const w = await startWorker(labConfigWith((c) => (c.environments['dev-cloud'].hostKey = hostKey)));
  workers.push(w);
  const handle = await w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version: 'v2' }] });
  return handle.result().then(
    (r: DeployResult) => ({ outcome: r.outcome, message: '' }),
    (e: unknown) => ({ outcome: 'failed', message: (e as WorkflowFailedError).cause?.message ?? '' }),
  );
}

it('refuses a host whose key is not the pinned one, and deploys when it is', async () => {
  const before = hostSnapshot('dev-cloud');
  const t0 = Date.now();
  const refused = await deployWithHostKey('SHA256:' + 'A'.repeat(43));
  expect(refused.message).toMatch(/presented SSH host key (SHA256:\S+), not the pinned SHA256:A{43}: refusing to connect/);
  expect(Date.now() - t0).toBeLessThan(20_000); // not retried
  expect(hostSnapshot('dev-cloud')).toBe(before);

  // The key it presented is really one of the host's own keys.
  const presented = /presented SSH host key (SHA256:\S+),/.exec(refused.message)![1]!;
  const own = onHost('dev-cloud', 'for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$k"; done');
  expect(own).toContain(presented);

  expect((await deployWithHostKey(presented)).outcome).toBe('succeeded');
});
