// Notices are delivered beside a deploy, never by it: a Discord that is down
// for two minutes neither holds the deploy up nor loses a notice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeployResult } from '../../src/workflows/types.ts';
import { recordWorkerNotices, type DiscordRecorder } from '../support/discord-recorder.ts';
import { resetHost } from '../support/lab.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const OUTAGE_MS = 120_000;

let w: TestWorker;
let discord: DiscordRecorder;

beforeAll(async () => {
  resetHost('virtual-smoker');
  discord = await recordWorkerNotices();
  w = await startWorker();
});
afterAll(async () => {
  await w?.stop();
  await discord?.stop();
});

const titles = () => discord.delivered().map((c) => c.body?.embeds?.[0]?.title as string);

it('Discord down for 2 minutes: the deploy ends meanwhile, and both notices arrive after, in order', async () => {
  discord.setFailure(503);
  const outageStarted = Date.now();
  const handle = await w.client.workflow.start('deploy', {
    taskQueue: w.taskQueue,
    workflowId: 'deploy-virtual-smoker',
    args: [{ environment: 'virtual-smoker', version: 'v1', requestedBy: 'vitest' }],
  });
  const result = (await handle.result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');
  // The deploy ended while Discord was still refusing: it never waited for a notice.
  expect(Date.now() - outageStarted).toBeLessThan(OUTAGE_MS);
  expect(discord.calls.length).toBeGreaterThan(0);
  expect(titles()).toEqual([]);

  await sleep(OUTAGE_MS - (Date.now() - outageStarted));
  const refused = discord.calls.length;
  discord.setFailure(undefined);
  await discord.waitForDelivered(2, 120_000);

  expect(titles()).toEqual(['🚀 virtual-smoker: deploying v1', '✅ virtual-smoker: v1 deployed']);
  // Retried all along the outage, with backoff: more than once, far fewer than once a second.
  expect(refused).toBeGreaterThan(3);
  expect(refused).toBeLessThan(30);
  // Each links to the deploy's run, not to the notifier that delivered it.
  for (const call of discord.delivered()) expect(call.body.embeds[0].url).toContain(`/workflows/deploy-virtual-smoker/${handle.firstExecutionRunId}/history`);
});
