// A health check that is wrong (a typo in a probe URL) fails the version
// running now as much as the new one. Preflight proves the probes against
// the running version first: a deploy is refused (exit 2) before the host
// is changed, instead of failing and ending "rollback failed" (exit 5) when
// neither version is broken. With --allow-unhealthy-current it goes ahead,
// and a failure restores the previous version by digest without gating it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { expectAppsRun, hostSnapshot, onHost, resetHost } from '../support/lab.ts';
import { SIGN_AS_BOB } from '../support/signing.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

// A mistyped port (the stand-in backend answers any path on its own port).
const TYPO = 'http://127.0.0.1:3010/api/ready';

let good: TestWorker;
let typo: TestWorker;
let typoConfig: string;

beforeAll(async () => {
  resetHost('prod-cloud');
  good = await startWorker();
  typoConfig = labConfigWith((c) => {
    c.environments['prod-cloud'].services.backend.http = TYPO;
    c.environments['prod-cloud'].health.timeoutSeconds = 20; // the new version's gate gives up sooner
  });
  typo = await startWorker(typoConfig);
});
afterAll(async () => {
  await good?.stop();
  await typo?.stop();
});

const cli = (w: TestWorker, config: string, args: string[]) =>
  runCli(args, { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue, SMOKESTACK_CONFIG: config });

it('a typo in a health URL refuses the deploy before the host is changed (exit 2), naming the probe', async () => {
  const first = await cli(good, 'smokestack.yml', ['deploy', 'prod-cloud', '--version', 'v1', '--wait', ...SIGN_AS_BOB]);
  expect(first.code, first.stdout).toBe(0);
  const before = hostSnapshot('prod-cloud');

  const run = await cli(typo, typoConfig, ['deploy', 'prod-cloud', '--version', 'v2', '--wait', ...SIGN_AS_BOB]);
  expect(run.code, run.stdout).toBe(2);
  expect(run.stdout).toContain(`the running version fails its own health check: backend (GET ${TYPO} -> `);
  expect(run.stdout).toContain('pass --allow-unhealthy-current');
  expect(hostSnapshot('prod-cloud')).toBe(before);
  await expectAppsRun('prod-cloud', 'v1');
});

it('with --allow-unhealthy-current the deploy runs; its failure restores v1 by digest, ungated, and ends failed (exit 1)', async () => {
  const run = await cli(typo, typoConfig, ['deploy', 'prod-cloud', '--version', 'v2', '--wait', '--allow-unhealthy-current', ...SIGN_AS_BOB]);
  expect(run.code, run.stdout).toBe(1);
  expect(run.stdout).toContain('running version UNHEALTHY (allowed)');
  expect(run.stdout).toContain('v1 was restored by digest, unhealthy as before');
  expect(run.stdout).toMatch(/- health gate \(previous version\)\s+not required/);
  await expectAppsRun('prod-cloud', 'v1');
  // v1 itself is fine: only the probe was wrong.
  expect(JSON.parse(onHost('prod-cloud', 'curl -s http://127.0.0.1:3001/api/ready'))).toMatchObject({ status: 'ok', version: 'v1' });
});
