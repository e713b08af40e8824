// Temporal, as the CLI and the worker need it: the server answers, the
// namespace exists, smokestack's search attributes are registered (runs set
// them: a missing one fails every start), and a worker polls the task queue
// (without one, every command waits for nobody).
// A CommonJS module: its namespaces come off the default export under ESM.
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { connectClient, TemporalUnreachableError, type TemporalSettings } from '../temporal/connection.ts';
import { compareSearchAttributes, wrongTypeAdvice } from './search-attributes.ts';
import { fail, ok, type CheckLine } from './lines.ts';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

const GRPC_NOT_FOUND = 5;
/**
 * A poller that last polled longer ago than this is a worker that stopped:
 * the server keeps listing pollers for minutes, and a live worker's poll is
 * renewed about every minute (a long poll lasts up to ~70 s).
 */
export const POLLER_FRESH_SECONDS = 120;

export async function checkTemporal(settings: TemporalSettings): Promise<CheckLine[]> {
  let client: Client;
  try {
    client = await connectClient(settings);
  } catch (err) {
    if (err instanceof TemporalUnreachableError) return [fail('temporal', err.message)];
    throw err;
  }
  try {
    const namespace = await checkNamespace(client, settings);
    // Nothing else can be asked of a namespace that does not exist.
    if (namespace.status === 'fail') return [namespace];
    return [namespace, await checkSearchAttributes(client, settings), await checkWorker(client, settings)];
  } finally {
    await client.connection.close();
  }
}

async function checkNamespace(client: Client, { address, namespace }: TemporalSettings): Promise<CheckLine> {
  try {
    await client.workflowService.describeNamespace({ namespace });
    return ok('temporal', `${address}, namespace ${namespace}`);
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_NOT_FOUND) {
      return fail('temporal', `${address} answers, but has no namespace ${namespace}: temporal operator namespace create --namespace ${namespace} --address ${address}`);
    }
    return fail('temporal', `${address}: describing namespace ${namespace} failed: ${(err as Error).message}`);
  }
}

async function checkSearchAttributes(client: Client, { namespace }: TemporalSettings): Promise<CheckLine> {
  const name = 'search attributes';
  try {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    const state = compareSearchAttributes(customAttributes ?? {});
    if (state.wrongType.length) return fail(name, wrongTypeAdvice(state, namespace));
    if (state.missing.length) return fail(name, `${state.missing.map((a) => a.name).join(', ')} not registered in ${namespace}: run smokestack setup`);
    return ok(name, state.present.join(', '));
  } catch (err) {
    return fail(name, `listing the search attributes of ${namespace} failed: ${(err as Error).message}`);
  }
}

async function checkWorker(client: Client, { namespace, taskQueue }: TemporalSettings): Promise<CheckLine> {
  const name = 'worker';
  const noWorker = `no worker polls task queue ${taskQueue}: start one with npm run worker`;
  try {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const live = livePollers(pollers ?? [], Date.now());
    if (live.length === 0) return fail(name, noWorker);
    return ok(name, `${live.length === 1 ? '1 worker polls' : `${live.length} workers poll`} task queue ${taskQueue} (${live.join(', ')})`);
  } catch (err) {
    return fail(name, `describing task queue ${taskQueue} failed: ${(err as Error).message}`);
  }
}

/** A PollerInfo as far as it matters here; its seconds are a protobuf Long, which Number() reads. */
interface Poller {
  identity?: string | null;
  lastAccessTime?: { seconds?: unknown } | null;
}

/** Identities of the pollers seen recently enough to be running; a poller without a time counts (the server always sends one). */
export function livePollers(pollers: readonly Poller[], now: number): string[] {
  return pollers
    .filter((p) => {
      const seconds = p.lastAccessTime?.seconds;
      if (seconds === undefined || seconds === null) return true;
      return now - Number(seconds) * 1000 <= POLLER_FRESH_SECONDS * 1000;
    })
    .map((p) => p.identity || 'a worker');
}
