// Housekeeping on a host: a successful deploy leaves only the newest N
// rollback points (each holds a 0600 copy of the .env) and pre-deploy
// backups; and a version the registry does not have fails at once, without
// the retries that could not help.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { DeployResult } from '../../src/workflows/types.ts';
import { labConfigWith } from '../support/config.ts';
import { activityRuns, only } from '../support/history.ts';
import { onHost, resetHost } from '../support/lab.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const KEEP = 2;
const DIR = '/opt/smart-smoker-dev';
let w: TestWorker;

beforeAll(async () => {
  resetHost('dev-cloud');
  w = await startWorker(labConfigWith((c) => (c.environments['dev-cloud'].retention = { keep: KEEP })));
});
afterAll(async () => {
  await w?.stop();
});

function start(version: string) {
  return w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version }] });
}

const list = (dir: string) => onHost('dev-cloud', `ls -1A ${dir} 2>/dev/null || true`).split('\n').filter(Boolean).sort();

it(`after four deploys, only the newest ${KEEP} rollback points and backups are left, this deploy's among them`, async () => {
  const runs: { runId: string; result: DeployResult }[] = [];
  for (const version of ['v1', 'v2', 'v1', 'v2']) {
    const handle = await start(version);
    runs.push({ runId: handle.firstExecutionRunId, result: (await handle.result()) as DeployResult });
  }
  expect(runs.map((r) => r.result.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);

  // Rollback points are named by the run that made them: the last two runs' remain.
  const lastTwo = runs.slice(-KEEP).map((r) => r.runId).sort();
  expect(list(`${DIR}/.smokestack/rollback`)).toEqual(lastTwo);
  // The first deploy had no database yet; the other three each dumped one: the newest two remain.
  const backups = runs.flatMap((r) => (r.result.backup ? [r.result.backup.path.split('/').pop()!] : []));
  expect(backups).toHaveLength(3);
  expect(list(`${DIR}/backups/pre-deploy`)).toEqual(backups.slice(-KEEP).sort());
  // What was kept is intact: the newest backup still matches its checksum.
  const newest = runs.at(-1)!.result.backup!;
  expect(onHost('dev-cloud', `sha256sum ${newest.path}`).split(' ')[0]).toBe(newest.sha256);
  const prune = runs.at(-1)!.result.steps.find((s) => s.name === 'prune')!;
  expect(prune.state).toBe('succeeded');
  expect(prune.detail).toMatch(/^removed 2: /);
});

// The lab's hosts pull Docker Hub names through a mirror, and a tag the
// mirror lacks falls back to Docker Hub itself, which the lab cannot reach:
// that ends as a network error. Naming the lab registry in the compose file,
// as a private registry would be named, gets the registry's own answer.
const REGISTRY = '172.29.101.1:5000';
function composeFromLabRegistry(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'smokestack-test-')), 'cloud.docker-compose.yml');
  writeFileSync(file, readFileSync(join(REPO_ROOT, 'compose/cloud.docker-compose.yml'), 'utf8').replaceAll('image: benjr70/', `image: ${REGISTRY}/benjr70/`));
  return file;
}

it('a version the registry does not have: ImageNotFound at once, no retry, and the running version is back', async () => {
  const before = onHost('dev-cloud', "docker inspect --format '{{.Image}}' backend_cloud frontend_cloud");
  const other = await startWorker(labConfigWith((c) => (c.environments['dev-cloud'].composeFile = composeFromLabRegistry())));
  try {
    const handle = await other.client.workflow.start('deploy', {
      taskQueue: other.taskQueue,
      workflowId: 'deploy-dev-cloud',
      args: [{ environment: 'dev-cloud', version: 'no-such-version' }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const result = ((err as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as DeployResult;
    expect(result.failureType).toBe('ImageNotFound');
    expect(result.outcome).toBe('rolled-back');
    expect(result.error).toMatch(/the registry has no such image: .*manifest unknown/s);
    // One attempt: a pull of a tag that does not exist is not retried for minutes.
    expect(only(await activityRuns(handle), 'pullImages').attempt).toBe(1);
  } finally {
    await other.stop();
  }
  expect(onHost('dev-cloud', "docker inspect --format '{{.Image}}' backend_cloud frontend_cloud")).toBe(before);
});
