// A deploy that fails while its backend prints the database password, on
// dev-cloud, run by the compiled worker (`npm run build`: its prebuilt
// workflow bundle, as `npm run worker` runs) with the lab's codec key: the
// history Temporal stores holds neither the failure's words nor the
// password, the CLI (with the key) still says why it failed, and Discord gets
// the log lines with the password taken out.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { dataConverterFromEnv } from '../../src/codec/data-converter.ts';
import { KEYS_FILE_ENV } from '../../src/codec/keys.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { recordWorkerNotices, type DiscordRecorder } from '../support/discord-recorder.ts';
import { historyText } from '../support/history.ts';
import { resetHost } from '../support/lab.ts';
import { LAB_CACHE, REPO_ROOT } from '../support/paths.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

// The worker, its client and the CLI encrypt with the lab's key (this file runs in its own process).
process.env[KEYS_FILE_ENV] = join(LAB_CACHE, 'lab/secrets/codec-keys');

const secret = (name: string) => readFileSync(join(LAB_CACHE, 'lab/secrets', name), 'utf8').trim();
const APP_PASSWORD = secret('mongo-app-password');
const SECRETS = [APP_PASSWORD, encodeURIComponent(APP_PASSWORD), secret('vapid-private-key'), secret('mongo-root-password')];
const has = (text: string, part: string) => text.includes(part); // a boolean: a failed check never prints the secret

/**
 * The lab's cloud stack with a backend that prints its settings, password
 * included, as it starts (as a careless app does when it fails), and whose
 * health check gives up at the first failure: the broken build fails it, so
 * `compose up` fails within seconds, naming backend_cloud.
 */
function leakyStack(): string {
  const stack = parse(readFileSync(join(REPO_ROOT, 'compose/cloud.docker-compose.yml'), 'utf8'));
  stack.services.backend.command = [
    'sh',
    '-c',
    'echo "backend: connecting as smartsmoker with password $$MONGO_APP_PASSWORD"; echo "backend: DB_URL=$$DB_URL"; echo "backend: VAPID_PRIVATE_KEY=$$VAPID_PRIVATE_KEY"; exec /usr/local/bin/labsvc serve',
  ];
  stack.services.backend.healthcheck = { ...stack.services.backend.healthcheck, interval: '1s', retries: 1, start_period: '0s' };
  const file = join(mkdtempSync(join(tmpdir(), 'smokestack-leaky-')), 'cloud.docker-compose.yml');
  writeFileSync(file, stringify(stack));
  return file;
}

const address = inject('temporalAddress');
const taskQueue = `failure-secrets-${randomUUID()}`;
let worker: WorkerProcess;
let client: Client;
let discord: DiscordRecorder;
let config: string;

beforeAll(async () => {
  resetHost('dev-cloud');
  const composeFile = leakyStack();
  config = labConfigWith((c) => (c.environments['dev-cloud'].composeFile = composeFile));
  // The worker's notices go to the recorder ($SMOKESTACK_DISCORD_API), its keys from $SMOKESTACK_CODEC_KEYS_FILE.
  discord = await recordWorkerNotices();
  worker = await spawnWorker({ address, taskQueue, config, compiled: true });
  client = new Client({ connection: await Connection.connect({ address }), dataConverter: dataConverterFromEnv() });
});
afterAll(async () => {
  await worker?.kill();
  await client?.connection.close();
  await discord?.stop();
  // No container left printing the password.
  resetHost('dev-cloud');
});

it('a failed deploy: ciphertext in history, the reason in the clear for the CLI with the key, the password out of Discord', async () => {
  expect(worker.output()).toContain('payload encryption: on');
  const run = await runCli(['deploy', 'dev-cloud', '--version', 'broken', '--wait'], {
    TEMPORAL_ADDRESS: address,
    SMOKESTACK_TASK_QUEUE: taskQueue,
    SMOKESTACK_CONFIG: config,
  });
  // A first deploy has nothing to roll back to: failed (exit 1), and the CLI, with the key, says why.
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain('failed: deploy of broken to dev-cloud failed: compose up failed');
  expect(run.stdout).toContain('backend_cloud is unhealthy');

  // The client with the key reads the failures word for word.
  const handle = client.workflow.getHandle('deploy-dev-cloud');
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const end = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(end.type).toBe('DeployFailed');
  expect(end.message).toMatch(/compose up failed: .*backend_cloud is unhealthy/);

  // As Temporal stores it: the failures are there, encoded; none of their words, and no secret.
  const raw = await historyText(handle, null);
  expect(has(raw, 'Encoded failure')).toBe(true);
  for (const words of ['compose up failed', 'backend_cloud is unhealthy', 'connecting as smartsmoker']) expect(has(raw, words), `"${words}" readable in the stored history`).toBe(false);
  expect(SECRETS.filter((s) => has(raw, s)).length, 'a secret in the stored history').toBe(0);
  // What the raw history was searched for is in it, encrypted: the key shows the log line, password and all.
  const decoded = await historyText(handle);
  expect(has(decoded, 'compose up failed')).toBe(true);
  expect(has(decoded, `connecting as smartsmoker with password ${APP_PASSWORD}`), 'the log line in the decoded history').toBe(true);

  // Discord: the failure notice with the backend's last lines, the password and the other secrets taken out.
  await discord.waitForCalls(2);
  const failedNotice = discord.calls.find((c) => c.body?.embeds?.[0]?.title === '❌ dev-cloud: deploy of broken failed');
  expect(failedNotice, discord.calls.map((c) => c.body?.embeds?.[0]?.title).join(', ')).toBeDefined();
  const fields = failedNotice!.body.embeds[0].fields as { name: string; value: string }[];
  expect(fields.find((f) => f.name === 'Reason')?.value).toContain('backend_cloud is unhealthy');
  const logs = fields.find((f) => f.name === 'Last log lines')?.value ?? '';
  expect(logs).toContain('backend: connecting as smartsmoker with password ***');
  expect(logs).toContain('backend: DB_URL=mongodb://smartsmoker:***@mongo:27017/smartsmoker?authSource=admin');
  expect(logs).toContain('backend: VAPID_PRIVATE_KEY=***');
  const sent = JSON.stringify(discord.calls.map((c) => c.body));
  expect(SECRETS.filter((s) => has(sent, s)).length, 'a secret sent to Discord').toBe(0);
});
