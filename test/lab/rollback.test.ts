// The deploy that undoes itself, on dev-cloud: v1 -> v2 succeeds; v2 ->
// broken rolls back to v2's exact digests even after the v2 tag was moved in
// the registry, with the database untouched and the failure said loudly; a
// cancelled deploy also ends on the previous version, healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { progressQuery } from '../../src/workflows/definitions.ts';
import type { DeployResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { activityRuns, only } from '../support/history.ts';
import { recordWorkerNotices, type DiscordRecorder } from '../support/discord-recorder.ts';
import { forgetVersion, onHost, registryDigest, resetHost, runningDigests } from '../support/lab.ts';
import { countCooks, insertCooks } from '../support/mongo.ts';
import { moveTag } from '../support/registry.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const APPS = { backend_cloud: 'benjr70/smart-smoker-backend', frontend_cloud: 'benjr70/smart-smoker-frontend' };

let w: TestWorker;
let discord: DiscordRecorder;

beforeAll(async () => {
  resetHost('dev-cloud');
  discord = await recordWorkerNotices();
  w = await startWorker();
});
afterAll(async () => {
  await w?.stop();
  await discord?.stop();
});

const deploy = async (version: string) => {
  const handle = await w.client.workflow.start('deploy', {
    taskQueue: w.taskQueue,
    workflowId: 'deploy-dev-cloud',
    args: [{ environment: 'dev-cloud', version, requestedBy: 'vitest' }],
  });
  return handle;
};

async function expectAppsOn(version: string, digests?: Record<string, string>) {
  const running = runningDigests('dev-cloud', Object.keys(APPS));
  for (const [container, repo] of Object.entries(APPS)) {
    const want = digests?.[container] ?? `${repo}@${await registryDigest(repo, version)}`;
    expect(running[container], container).toContain(want);
  }
  expectHealthy();
}

/** The image each app container runs, by ID (a content hash: a moved tag cannot fake it). */
const runningImageIds = () =>
  Object.fromEntries(Object.keys(APPS).map((c) => [c, onHost('dev-cloud', `docker inspect --format '{{.Image}}' ${c}`).trim()]));

/** The apps run exactly these images again (forgetVersion took their tags, and with them their digests). */
function expectAppsRunning(imageIds: Record<string, string>) {
  expect(runningImageIds()).toEqual(imageIds);
  expectHealthy();
}

function expectHealthy() {
  const health = onHost('dev-cloud', "docker inspect --format '{{.State.Health.Status}}' mongo backend_cloud frontend_cloud");
  expect(health.trim().split('\n')).toEqual(['healthy', 'healthy', 'healthy']);
}

const titles = () => discord.calls.map((c) => c.body?.embeds?.[0]?.title as string);

describe('deploy, roll back, cancel', () => {
  it('v1 -> v2: every service runs v2 by digest, and Discord heard about it', async () => {
    expect(((await (await deploy('v1')).result()) as DeployResult).outcome).toBe('succeeded');
    await discord.waitForCalls(2); // v1's notices, delivered beside the run
    discord.calls.length = 0;
    const result = (await (await deploy('v2')).result()) as DeployResult;
    expect(result.outcome).toBe('succeeded');
    expect(result.previousVersion).toBe('v1');
    await expectAppsOn('v2');
    await discord.waitForCalls(2);
    expect(titles()).toEqual(['🚀 dev-cloud: deploying v2', '✅ dev-cloud: v2 deployed']);
    expect(discord.calls[1]!.body.embeds[0].url).toMatch(/\/workflows\/deploy-dev-cloud\/[0-9a-f-]+\/history$/);
  });

  it('v2 -> broken: rolled back to the v2 digests though the v2 tag moved; data untouched; exit 4', async () => {
    insertCooks('dev-cloud', 25);
    const documentsBefore = countCooks('dev-cloud');
    expect(documentsBefore).toBeGreaterThanOrEqual(25);
    await expectAppsOn('v2'); // by registry digest, before the tags move
    const v2Images = runningImageIds();
    // Someone re-pushes v2 as the broken build, and the host no longer has
    // v2 by tag: a rollback by tag would now pull and start the broken image.
    const restoreTags = await Promise.all(Object.values(APPS).map((repo) => moveTag(repo, 'v2', 'broken')));
    discord.calls.length = 0;
    try {
      forgetVersion('dev-cloud', Object.values(APPS), 'v2');
      forgetVersion('dev-cloud', Object.values(APPS), 'v1');
      const run = await runCli(['deploy', 'dev-cloud', '--version', 'broken', '--wait'], {
        TEMPORAL_ADDRESS: w.address,
        SMOKESTACK_TASK_QUEUE: w.taskQueue,
      });
      expect(run.code, run.stdout).toBe(4);
      expect(run.stdout).toContain('rolled-back: deploy of broken to dev-cloud failed and was rolled back to v2');
      expect(run.stdout).toContain('✓ health gate (previous version)');
      expectAppsRunning(v2Images);
      expect(countCooks('dev-cloud')).toBe(documentsBefore);

      const err = await w.client.workflow.getHandle('deploy-dev-cloud').result().catch((e: unknown) => e);
      const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(failure.type).toBe('RolledBack');
      const result = failure.details![0] as DeployResult;
      expect(result.outcome).toBe('rolled-back');
      expect(result.failedService).toBe('backend');
      expect(result.backup?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(onHost('dev-cloud', `sha256sum ${result.backup!.path}`).split(' ')[0]).toBe(result.backup!.sha256);

      // The Web UI can find it: the CLI set environment and version, the workflow its outcome.
      let found = 0;
      for (let i = 0; i < 50 && found === 0; i++) {
        for await (const _ of w.client.workflow.list({
          query: `SmokestackEnvironment = 'dev-cloud' AND SmokestackVersion = 'broken' AND SmokestackOutcome = 'rolled-back'`,
        })) found++;
        if (found === 0) await sleep(200);
      }
      expect(found).toBe(1);

      await discord.waitForCalls(2);
      expect(titles()).toEqual(['🚀 dev-cloud: deploying broken', '↩️ dev-cloud: deploy of broken failed, rolled back to v2']);
      const fields = discord.calls[1]!.body.embeds[0].fields as { name: string; value: string }[];
      expect(fields.find((f) => f.name === 'Failed service')?.value).toBe('backend');
      expect(fields.find((f) => f.name === 'Reason')?.value).toContain('backend_cloud is unhealthy');
      expect(fields.find((f) => f.name === 'Last log lines')?.value).toContain('backend broken listening');
    } finally {
      for (const restore of restoreTags) await restore();
    }
  });

  it('a cancelled deploy ends with the previous version healthy', async () => {
    const v2Images = runningImageIds();
    const handle = await deploy('v1');
    for (let i = 0; i < 600; i++) {
      const progress = await handle.query(progressQuery).catch(() => undefined);
      if (progress?.steps.find((s) => s.name === 'start stack')?.state === 'running') break;
      await sleep(100);
    }
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('RolledBack');
    expect((failure.details![0] as DeployResult).error).toMatch(/^cancelled/);
    expectAppsRunning(v2Images);
    // The restore waited for the cancelled `compose up` to end: it was
    // scheduled only after startStack closed, never beside it.
    const runs = await activityRuns(handle);
    const start = only(runs, 'startStack');
    const restore = only(runs, 'restoreRollbackPoint');
    expect(start.closedAs).toBeDefined();
    expect(restore.scheduledEventId).toBeGreaterThan(start.closeEventId!);
    expect(restore.scheduledAt).toBeGreaterThanOrEqual(start.closedAt!);
  });

  it('`smokestack rollback --to v1` deploys the images recorded for v1, by digest', async () => {
    const v1Digests: Record<string, string> = {};
    for (const [container, repo] of Object.entries(APPS)) v1Digests[container] = `${repo}@${await registryDigest(repo, 'v1')}`;
    // v1 is gone from the host and its tag now names the broken build: only
    // the recorded digests can bring the real v1 back.
    const restoreTags = await Promise.all(Object.values(APPS).map((repo) => moveTag(repo, 'v1', 'broken')));
    try {
      forgetVersion('dev-cloud', Object.values(APPS), 'v1');
      const run = await runCli(['rollback', 'dev-cloud', '--to', 'v1', '--wait'], { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue });
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).toContain('rolling dev-cloud back to v1 (3 images by digest)');
      await expectAppsOn('v1', v1Digests);
    } finally {
      for (const restore of restoreTags) await restore();
    }
  });
});
