// Real-world input: upstream's own cloud compose file, unchanged, deploys to
// a lab host and every service reaches healthy (with its 30s probe interval).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeployResult } from '../../src/workflows/types.ts';
import { labConfigWith } from '../support/config.ts';
import { onHost, resetHost } from '../support/lab.ts';
import { SHARED } from '../support/paths.ts';
import { deployInput } from '../support/signing.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const UPSTREAM = join(SHARED, 'fixtures/upstream/cloud.docker-compose.yml');

let w: TestWorker;
beforeAll(async () => {
  resetHost('prod-cloud');
  const config = labConfigWith((c) => {
    c.environments['prod-cloud'].composeFile = UPSTREAM;
    c.environments['prod-cloud'].health.timeoutSeconds = 420;
  });
  w = await startWorker(config);
});
afterAll(async () => w?.stop());

it('upstream cloud.docker-compose.yml deploys unchanged and every service is healthy', async () => {
  const handle = await w.client.workflow.start('deploy', {
    taskQueue: w.taskQueue,
    workflowId: 'deploy-prod-cloud',
    args: [await deployInput({ environment: 'prod-cloud', version: 'v1' })],
  });
  const result = (await handle.result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');

  const uploaded = onHost('prod-cloud', 'sha256sum /opt/smart-smoker-prod/cloud.docker-compose.yml').split(' ')[0];
  expect(uploaded).toBe(createHash('sha256').update(readFileSync(UPSTREAM)).digest('hex'));
  const health = onHost('prod-cloud', "docker inspect --format '{{.Name}} {{.State.Health.Status}}' mongo backend_cloud frontend_cloud");
  expect(health.trim().split('\n').sort()).toEqual(['/backend_cloud healthy', '/frontend_cloud healthy', '/mongo healthy']);
});
