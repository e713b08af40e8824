// Failures encrypted like payloads: with codec keys, a failure's message and
// stack trace (remote stderr, container log lines) travel as an encrypted
// payload, not as the Failure's plain text. First the converter alone
// (encode, then decode), then a failing deploy run by the project's own
// worker on the test run's real Temporal server.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, type LoadedDataConverter } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { dataConverterFor, dataConverterFromEnv } from '../../src/codec/data-converter.ts';
import { FAILURE_CONVERTER_PATH } from '../../src/codec/failure-converter-path.ts';
import { parseKeyRing } from '../../src/codec/keys.ts';
import { createWorker } from '../../src/worker.ts';
import { unhealthyFailure } from '../../src/workflows/failures.ts';
import type { DeployInput, DeployPlan, HostFacts, RollbackPoint, ServiceImage } from '../../src/workflows/types.ts';
import { fakeDeployPlan } from '../support/fake-plans.ts';
import { historyText } from '../support/history.ts';
import { LAB_CONFIG } from '../support/worker.ts';

const { Failure } = proto.temporal.api.failure.v1;

const unique = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;
const keyText = (id = 'failures-test') => `${id}:${randomBytes(32).toString('base64')}`;
const encrypting = (id?: string): LoadedDataConverter => loadDataConverter(dataConverterFor(parseKeyRing(keyText(id), 'test')));

/** A failure as the server would store it: its JSON and its protobuf bytes as text. */
const stored = (failure: proto.temporal.api.failure.v1.IFailure) => JSON.stringify(failure) + Buffer.from(Failure.encode(failure).finish()).toString('latin1');

describe('the encrypting failure converter, alone', () => {
  // What a failed remote command says, cause and all.
  const STDERR = unique('compose up: backend exited: db login failed for smartsmoker:pw-');
  const error = () => {
    const cause = new Error(STDERR);
    return ApplicationFailure.create({ type: 'StartFailed', message: unique('start failed on dev-cloud: '), nonRetryable: true, cause, details: [{ logs: STDERR }] });
  };

  it('is the data converter whenever keys are configured, and the SDK loads it from its path', () => {
    expect(dataConverterFor(parseKeyRing(keyText(), 'test'))?.failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
    expect(dataConverterFromEnv({}).failureConverterPath).toBeUndefined();
    expect(encrypting().failureConverter).toMatchObject({ options: { encodeCommonAttributes: true } });
  });

  it('encodes message and stack trace, of the failure and of its causes, into ciphertext; decoding gives them back', async () => {
    const converter = encrypting();
    const err = error();
    const failure = await encodeErrorToFailure(converter, err);
    const text = stored(failure);
    for (const plain of [err.message, STDERR, 'codec-failures.test.ts', 'json/plain']) expect(text, `${plain} readable`).not.toContain(plain);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(failure.cause?.message).toBe('Encoded failure');
    expect(Buffer.from(failure.encodedAttributes!.metadata!.encoding!).toString()).toBe('binary/encrypted');

    const back = (await decodeOptionalFailureToOptionalError(converter, failure)) as ApplicationFailure;
    expect(back).toBeInstanceOf(ApplicationFailure);
    expect(back.message).toBe(err.message);
    expect(back.type).toBe('StartFailed');
    expect(back.stack).toContain('codec-failures.test.ts');
    expect(back.cause?.message).toBe(STDERR);
    expect(back.details).toEqual([{ logs: STDERR }]);
  });

  it('a reader without the key cannot read the message', async () => {
    const failure = await encodeErrorToFailure(encrypting(), error());
    await expect(decodeOptionalFailureToOptionalError(encrypting('another-key'), failure)).rejects.toThrow(/not in the key ring/);
    await expect(decodeOptionalFailureToOptionalError(loadDataConverter(dataConverterFor(undefined)), failure)).rejects.toThrow(/no codec keys/);
  });

  it('without keys failures stay as Temporal writes them (plain), and either form is read', async () => {
    const plain = loadDataConverter(dataConverterFor(undefined));
    const err = error();
    const failure = await encodeErrorToFailure(plain, err);
    expect(failure.message).toBe(err.message);
    // A plain reader (a CLI without keys) reads an encoded failure whose payload is not encrypted.
    const encodedOnly = await encodeErrorToFailure({ ...plain, failureConverter: encrypting().failureConverter }, err);
    expect(encodedOnly.message).toBe('Encoded failure');
    expect((await decodeOptionalFailureToOptionalError(plain, encodedOnly))?.message).toBe(err.message);
  });
});

describe('a failing deploy on a real server, run by a worker with keys', () => {
  // As an operator configures it; this file runs in its own process, so no other test sees it.
  process.env.SMOKESTACK_CODEC_KEYS = keyText();

  const INPUT: DeployInput = { environment: unique('env'), version: unique('v'), requestedBy: 'vitest' };
  const GATE_MESSAGE = unique('backend (GET http://127.0.0.1:3001/api/ready -> 500): not healthy within 60s ');
  const LOG_LINE = unique('backend v2 listening; connecting as smartsmoker with password pw-');
  const plan: DeployPlan = fakeDeployPlan(INPUT.environment, INPUT.version, '10.0.0.5');
  const images: ServiceImage[] = [{ service: 'backend', image: `backend:${INPUT.version}`, digest: null, imageId: `sha256:${'1'.repeat(64)}` }];
  const point: RollbackPoint = { existed: false, savedDir: '/opt/smart-smoker/.smokestack/rollback/1', savedFiles: [], previousVersion: null, images: [] };
  const facts: HostFacts = { compose: 'v2', composeVersion: '2.27.0', dockerVersion: '26.1.0', freeDiskMb: 12_000 };
  const FAKES: Record<string, (...args: unknown[]) => unknown> = {
    planDeploy: () => plan,
    notify: () => undefined,
    preflight: () => facts,
    captureRollbackPoint: () => point,
    backupDatabase: () => null,
    uploadStack: () => undefined,
    pullImages: () => images,
    startStack: () => undefined,
    healthGate: () => {
      throw unhealthyFailure('HealthGateFailed', GATE_MESSAGE, {
        unhealthy: [{ service: 'backend', container: 'backend_cloud', healthy: false, detail: 'GET -> 500' }],
        logs: { backend: LOG_LINE },
      });
    },
  };

  let nativeConnection: NativeConnection;
  let connection: Connection;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `codec-failures-${randomUUID()}`;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed in this process
    }
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

  it('the stored history holds no failure message; a client with the key reads every one', async () => {
    const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFromEnv() });
    const handle = await client.workflow.start('deploy', { taskQueue, workflowId: unique('codec-failures-'), args: [INPUT] });
    const err = await handle.result().catch((e: unknown) => e);

    // With the key: the deploy's own failure, and under it the health gate's, word for word.
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const end = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(end.type).toBe('DeployFailed');
    expect(end.message).toContain(GATE_MESSAGE);

    const raw = await historyText(handle, null);
    expect(raw).toContain('Encoded failure'); // the failures are there, encoded
    // The messages, the log line (a failure detail: a payload), and the stack trace (the fake threw here).
    for (const plain of [GATE_MESSAGE, LOG_LINE, 'not healthy within', 'codec-failures.test.ts']) {
      expect(raw.includes(plain), `${plain} readable in the stored history`).toBe(false);
    }
    const decoded = await historyText(handle);
    expect(decoded).toContain(GATE_MESSAGE); // what the raw check looked for is there, in ciphertext
    expect(decoded).toContain(LOG_LINE);

    // The health gate's failure as the workflow saw it, read back through the client.
    const events = (await handle.fetchHistory()).events ?? [];
    const failed = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure;
    expect(failed?.message).toBe('Encoded failure');
    const gate = (await decodeOptionalFailureToOptionalError(loadDataConverter(dataConverterFromEnv()), failed!)) as ApplicationFailure;
    expect(gate.message).toBe(GATE_MESSAGE);
    expect(gate.type).toBe('HealthGateFailed');
    expect(gate).not.toBeInstanceOf(ActivityFailure);
  }, 60_000);
});
