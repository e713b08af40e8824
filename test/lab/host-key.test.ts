// Pinned SSH host keys: a host presenting another key is refused at once (no
// retries, nothing touched), naming both keys; an environment with no pinned
// key is refused by every command before anything connects; `hosts trust`
// shows the key and pins it only when told to.
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { DeployResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { hostSnapshot, onHost } from '../support/lab.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const workers: TestWorker[] = [];
afterAll(async () => {
  for (const w of workers) await w.stop();
});

/** The SHA256 fingerprints of a lab host's own keys, read on the host itself. */
const ownKeys = (host: 'dev-cloud' | 'prod-cloud') => onHost(host, 'for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$k"; done').match(/SHA256:\S+/g)!;

async function deployWithHostKey(hostKey: string) {
  const w = await startWorker(labConfigWith((c) => (c.environments['dev-cloud'].hostKey = hostKey)));
  workers.push(w);
  const handle = await w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version: 'v2' }] });
  return handle.result().then(
    (r: DeployResult) => ({ outcome: r.outcome, message: '' }),
    (e: unknown) => ({ outcome: 'failed', message: (e as WorkflowFailedError).cause?.message ?? '' }),
  );
}

it('every lab host has keys of its own: a pin tells two hosts apart', () => {
  const dev = ownKeys('dev-cloud');
  expect(dev.length).toBeGreaterThan(0);
  for (const key of ownKeys('prod-cloud')) expect(dev).not.toContain(key);
});

it('refuses a host whose key is not the pinned one, naming both, and deploys when it is', async () => {
  const before = hostSnapshot('dev-cloud');
  const t0 = Date.now();
  // prod-cloud's real key, pinned for dev-cloud: a host that is not the one we know.
  const wrong = ownKeys('prod-cloud')[0]!;
  const refused = await deployWithHostKey(wrong);
  expect(refused.message).toMatch(new RegExp(`presented SSH host key (SHA256:\\S+), not the pinned ${wrong.replace(/[+/]/g, '\\$&')}: refusing to connect`));
  expect(Date.now() - t0).toBeLessThan(20_000); // not retried
  expect(hostSnapshot('dev-cloud')).toBe(before);

  // The key it presented is really one of the host's own keys.
  const presented = /presented SSH host key (SHA256:\S+),/.exec(refused.message)![1]!;
  expect(ownKeys('dev-cloud')).toContain(presented);

  expect((await deployWithHostKey(presented)).outcome).toBe('succeeded');
});

it('an environment with no pinned key is refused by every command; hosts trust shows the key and pins it when told', async () => {
  const unpinned = labConfigWith((c) => delete c.knownHostsFile);
  const cli = (args: string[]) => runCli([...args, '--config', unpinned]);
  const config = await cli(['config']);
  expect(config.code).toBe(2);
  expect(config.stderr).toContain('environments.dev-cloud: no pinned SSH host key for 172.29.101.11');
  expect(config.stderr).toContain('Pin it: `smokestack hosts trust dev-cloud`');
  const deploy = await cli(['deploy', 'dev-cloud', '--version', 'v1']);
  expect(deploy.code).toBe(2);
  expect(deploy.stderr).toContain('no pinned SSH host key');

  // No terminal to ask, and no --yes: nothing is pinned.
  const asked = await cli(['hosts', 'trust', 'dev-cloud']);
  expect(asked.code).toBe(2);
  expect(asked.stdout).toMatch(/dev-cloud \(172\.29\.101\.11:22\) presents \S+ key SHA256:\S+/);
  expect(asked.stderr).toContain('nothing pinned: there is no terminal to ask');
  expect(readFileSync(unpinned, 'utf8')).not.toContain('hostKey');

  const trusted = await cli(['hosts', 'trust', 'dev-cloud', '--yes']);
  expect(trusted.code, trusted.stderr).toBe(0);
  const shown = /presents \S+ key (SHA256:\S+)/.exec(trusted.stdout)![1]!;
  expect(ownKeys('dev-cloud')).toContain(shown);
  expect(trusted.stdout).toContain(`pinned as environments.dev-cloud.hostKey in ${unpinned}`);
  expect(readFileSync(unpinned, 'utf8')).toContain(`hostKey: ${shown}`);
  // Pinned: dev-cloud passes; the other environments are still refused.
  const after = await cli(['config']);
  expect(after.stderr).not.toContain('environments.dev-cloud: no pinned');
  expect(after.stderr).toContain('environments.prod-cloud: no pinned SSH host key');
}, 120_000);
