// Reading a workflow's history as facts about its activities: which ran,
// how many attempts, and when each was scheduled and closed. Tests assert
// on these, not on the workflow's own account of itself.
import type { Client, WorkflowHandle } from '@temporalio/client';
// A default import: Node's ESM loader finds no named exports in this CommonJS package (the benchmarks run outside vitest).
import proto from '@temporalio/proto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec.ts';
import { keyRingFromEnv } from '../../src/codec/keys.ts';
import { OUTCOME } from '../../src/temporal/search-attributes.ts';

const { temporal } = proto;

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

export interface ActivityRun {
  type: string;
  scheduledEventId: number;
  scheduledAt: number;
  /** When the worker picked up the attempt that closed it. */
  startedAt?: number;
  /** The attempt that closed it (1 when it never had to be retried). */
  attempt: number;
  /** How it closed, and when; undefined while it runs. */
  closedAs?: 'completed' | 'failed' | 'canceled' | 'timed-out';
  closeEventId?: number;
  closedAt?: number;
  /** Why the attempt before the last one failed, when it was retried (message or timeout type). */
  retriedAfter?: string;
  /** The timeout that ended it, when it timed out for good. */
  timeoutType?: string;
}

const millis = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;

export async function activityRuns(handle: WorkflowHandle): Promise<ActivityRun[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const runs = new Map<number, ActivityRun>();
  for (const e of events) {
    const id = Number(e.eventId);
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      runs.set(id, { type: e.activityTaskScheduledEventAttributes!.activityType!.name!, scheduledEventId: id, scheduledAt: millis(e), attempt: 1 });
    }
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const a = e.activityTaskStartedEventAttributes!;
      const run = runs.get(Number(a.scheduledEventId))!;
      run.attempt = a.attempt ?? 1;
      run.startedAt = millis(e);
      const last = a.lastFailure;
      if (last) {
        const timeout = last.timeoutFailureInfo?.timeoutType;
        run.retriedAfter = timeout ? `timeout ${temporal.api.enums.v1.TimeoutType[timeout]}` : (last.message ?? 'failure');
      }
    }
    const close: [ActivityRun['closedAs'], { scheduledEventId?: unknown } | null | undefined][] = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['canceled', e.activityTaskCanceledEventAttributes],
      ['timed-out', e.activityTaskTimedOutEventAttributes],
    ];
    for (const [closedAs, attrs] of close) {
      if (!attrs) continue;
      const run = runs.get(Number(attrs.scheduledEventId))!;
      Object.assign(run, { closedAs, closeEventId: id, closedAt: millis(e) });
      const timeout = e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType;
      if (timeout !== undefined && timeout !== null) run.timeoutType = temporal.api.enums.v1.TimeoutType[timeout];
    }
  }
  return [...runs.values()];
}

/** The one run of an activity type, failing the test when there is not exactly one. */
export function only(runs: ActivityRun[], type: string): ActivityRun {
  const found = runs.filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`expected one ${type} in the history, found ${found.length}`);
  return found[0]!;
}

/**
 * A run's history as text with every payload readable: encrypted payloads
 * decrypted by the codec configured in the environment (src/codec), and
 * payload bytes shown as UTF-8 (JSON of raw bytes would show a secret as
 * numbers, or base64). Pass `codec` to read with other keys, or `null` to
 * read the history as the server stores it.
 */
export async function historyText(handle: WorkflowHandle, codec: PayloadCodec | null | undefined = envCodec()): Promise<string> {
  const history = await handle.fetchHistory();
  if (codec) await decodePayloadsIn(history, codec);
  return historyAsText(history);
}

/** A history as JSON with every payload's bytes shown as UTF-8 (JSON would show them as numbers or base64). */
export function historyAsText(history: unknown): string {
  const plain = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
  };
  return JSON.stringify(plain(history));
}

/** The environment's keys, if any: without them the stored bytes are shown as they are. */
const envCodec = (): PayloadCodec | undefined => {
  const ring = keyRingFromEnv();
  return ring && new AesGcmCodec(ring);
};

/** Replaces every payload (an object with `data` bytes and a `metadata.encoding`) by what the codec decodes it to. */
async function decodePayloadsIn(value: unknown, codec: PayloadCodec): Promise<void> {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
  for (const [key, child] of Object.entries(value)) {
    if (isPayload(child)) (value as Record<string, unknown>)[key] = (await codec.decode([child]))[0];
    else if (Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) {
        if (isPayload(child[i])) child[i] = (await codec.decode([child[i]]))[0];
        else await decodePayloadsIn(child[i], codec);
      }
    } else await decodePayloadsIn(child, codec);
  }
}

const isPayload = (v: unknown): v is Payload =>
  !!v && typeof v === 'object' && (v as Payload).metadata?.encoding instanceof Uint8Array && (!('data' in v) || (v as Payload).data instanceof Uint8Array);

export interface RunInfo {
  workflowId: string;
  runId: string;
  type: string;
  /** COMPLETED, FAILED, TERMINATED, ... */
  status: string;
  /** The SmokestackOutcome search attribute, when the run set one. */
  outcome?: string;
}

/**
 * Every run matching the query, newest first, read raw from the visibility
 * API: the client's own list decodes memos, and the codec's tests leave runs
 * whose memos only their key can read.
 */
export async function* listRuns(client: Client, query?: string): AsyncGenerator<RunInfo> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, nextPageToken });
    for (const run of page.executions ?? []) {
      const outcome = run.searchAttributes?.indexedFields?.[OUTCOME.name]?.data;
      yield {
        workflowId: run.execution!.workflowId!,
        runId: run.execution!.runId!,
        type: run.type!.name!,
        status: String(proto.temporal.api.enums.v1.WorkflowExecutionStatus[run.status!]).replace('WORKFLOW_EXECUTION_STATUS_', ''),
        outcome: outcome ? (JSON.parse(Buffer.from(outcome).toString('utf8')) as string) : undefined,
      };
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}
