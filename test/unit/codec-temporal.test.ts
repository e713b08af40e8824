// Encryption end to end on the test run's real Temporal server: a deploy
// run by the project's own worker (createWorker, keys from the environment
// as in production; the host activities answered by fakes), started by a
// client with the codec. The server's history holds ciphertext only; a
// client with the key reads the run as usual.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it, vi } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { DeployInput, DeployPlan, DeployResult, HostFacts, RollbackPoint, ServiceImage } from '../../src/workflows/types.ts';
import { dataConverterFor, dataConverterFromEnv } from '../../src/codec/data-converter.ts';
import { createWorker } from '../../src/worker.ts';
import { historyText } from '../support/history.ts';
import { eventually } from '../support/eventually.ts';
import { LAB_CONFIG } from '../support/worker.ts';
import { fakeDeployPlan } from '../support/fake-plans.ts';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this process
}

// As an operator configures it; this file runs in its own process, so no other test sees it.
process.env.SMOKESTACK_CODEC_KEYS = `codec-test:${randomBytes(32).toString('base64')}`;

// Strings that must never be readable on the server: each is unique to this run.
const unique = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;
const INPUT: DeployInput = { environment: unique('env'), version: unique('v'), requestedBy: unique('alice') };
const DEPLOY_DIR = unique('/opt/deploy-dir-');

const plan: DeployPlan = { ...fakeDeployPlan(INPUT.environment, INPUT.version, '10.0.0.5'), deployDir: DEPLOY_DIR };
const images: ServiceImage[] = [{ service: 'backend', image: `backend:${INPUT.version}`, digest: null, imageId: `sha256:${'1'.repeat(64)}` }];
const point: RollbackPoint = { existed: false, savedDir: `${DEPLOY_DIR}/.smokestack/rollback/1`, savedFiles: [], previousVersion: null, images: [] };
const facts: HostFacts = { compose: 'v2', composeVersion: '2.27.0', dockerVersion: '26.1.0', freeDiskMb: 12_000 };

/** The host's side, faked; the environment lock's activities (Temporal only) run for real. */
const FAKES: Record<string, (...args: unknown[]) => unknown> = {
  planDeploy: () => plan,
  notify: () => undefined,
  preflight: () => facts,
  captureRollbackPoint: () => point,
  backupDatabase: () => null,
  holdServices: () => undefined,
  uploadStack: () => undefined,
  pullImages: () => images,
  startStack: () => undefined,
  healthGate: () => [{ service: 'backend', container: 'backend_cloud', healthy: true, detail: 'healthy' }],
  releaseServices: () => undefined,
  pruneHost: () => ({ removed: [], kept: 5 }),
};

let nativeConnection: NativeConnection;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `codec-test-${randomUUID()}`;

beforeAll(async () => {
  const address = inject('temporalAddress');
  nativeConnection = await NativeConnection.connect({ address });
  connection = await Connection.connect({ address });
  worker = await createWorker(nativeConnection, 'default', taskQueue, LAB_CONFIG, {
    activity: [
      (ctx) => ({
        inbound: {
          execute: async (input, next) => {
            const fake = FAKES[ctx.info.activityType];
            return fake ? fake(...input.args) : next(input);
          },
        },
      }),
    ],
  });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
}, 60_000);

it("a deploy's history on the server holds none of its input, and a client with the key reads it all", async () => {
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFromEnv() });
  const handle = await client.workflow.start('deploy', { taskQueue, workflowId: unique('codec-deploy-'), args: [INPUT], staticSummary: `deploy ${INPUT.version}` });
  const result = (await handle.result()) as DeployResult;
  expect(result.version).toBe(INPUT.version);
  expect(await handle.query<{ environment: string }>('progress')).toMatchObject({ environment: INPUT.environment });

  // As the server keeps it (no codec): payloads are ciphertext under our key id. (Search
  // attributes and the SDK's own markers stay json/plain: the server must read them.)
  const raw = await historyText(handle, null);
  const readable = (text: string, secret: string) => text.includes(secret);
  expect(readable(raw, '"encryption-key-id":"codec-test","encoding":"binary/encrypted"') || readable(raw, '"encoding":"binary/encrypted","encryption-key-id":"codec-test"')).toBe(true);
  for (const secret of [INPUT.requestedBy!, INPUT.version, DEPLOY_DIR, 'backend_cloud']) expect(readable(raw, secret), `${secret} readable in the stored history`).toBe(false);
  // The environment's name is in workflow IDs (the lock's is lock-<environment>), by design; in no payload.
  const outsideIds = raw.replaceAll(`"workflowId":"lock-${INPUT.environment}"`, '');
  expect(readable(outsideIds, INPUT.environment), 'the environment readable outside workflow IDs').toBe(false);

  // A reader with the key (the test's own, from the same environment) sees everything.
  const decoded = await historyText(handle);
  for (const text of [INPUT.requestedBy!, INPUT.version, INPUT.environment, DEPLOY_DIR, 'backend_cloud']) expect(readable(decoded, text), `${text} in the decoded history`).toBe(true);
  expect(readable(decoded, 'binary/encrypted')).toBe(false);

  // A client without the key starts nothing the worker can read, and reads nothing back.
  const stranger = new Client({ connection, namespace: 'default' });
  await expect(stranger.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(/binary\/encrypted|Unknown encoding/);
  // Ours (the CLI's converter without keys) says which key it needs and what to set, in one line.
  const keyless = new Client({ connection, namespace: 'default', dataConverter: dataConverterFor(undefined) });
  await expect(keyless.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(NEEDS_KEY);
}, 60_000);

const NEEDS_KEY = /^a payload is encrypted with key "codec-test" and this process has no codec keys: set \$SMOKESTACK_CODEC_KEYS_FILE .* or \$SMOKESTACK_CODEC_KEYS \(docs\/encryption\.md\)$/;

it('a worker without keys says, once and in one line, which key it needs, instead of "Unknown encoding"', async () => {
  const keyedClient = new Client({ connection, namespace: 'default', dataConverter: dataConverterFromEnv() });
  const keylessQueue = `codec-keyless-${randomUUID()}`;
  const printed = vi.spyOn(console, 'error');
  const keys = process.env.SMOKESTACK_CODEC_KEYS;
  delete process.env.SMOKESTACK_CODEC_KEYS;
  let keyless: Worker;
  try {
    keyless = await createWorker(nativeConnection, 'default', keylessQueue, LAB_CONFIG);
  } finally {
    process.env.SMOKESTACK_CODEC_KEYS = keys;
  }
  const run = keyless.run();
  const handle = await keyedClient.workflow.start('deploy', { taskQueue: keylessQueue, workflowId: unique('codec-keyless-'), args: [INPUT] });
  try {
    // The workflow task fails (and is retried, as it should: a worker with the key can still run it), saying why.
    const failure = await eventually(
      async () => ((await handle.fetchHistory()).events ?? []).find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message,
      (message) => !!message,
      'a workflow task failed',
      30_000,
    );
    expect(failure).toMatch(NEEDS_KEY);
    expect(failure).not.toContain('Unknown encoding');
    const ours = printed.mock.calls.map((args) => String(args[0])).filter((line) => line.startsWith('smokestack worker: '));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.slice('smokestack worker: '.length)).toMatch(NEEDS_KEY);
  } finally {
    printed.mockRestore();
    await handle.terminate('test over');
    keyless.shutdown();
    await run;
  }
}, 120_000);
