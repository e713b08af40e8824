// Shared by the benchmarks: timing, a worker on the lab's Temporal server,
// and the split of a run's wall time into remote work and orchestration.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { createWorker } from '../src/worker.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
const EventType = proto.temporal.api.enums.v1.EventType;

export async function timed<T>(work: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { seconds: (performance.now() - t0) / 1000, value };
}

export function sh(script: string, env: Record<string, string> = {}): void {
  execFileSync('bash', ['-c', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}

export async function labWorker(address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233') {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const taskQueue = `bench-${randomUUID()}`;
  const native = await NativeConnection.connect({ address });
  const worker = await createWorker(native, 'default', taskQueue, resolve(REPO_ROOT, 'smokestack.yml'));
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    client,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
    },
  };
}

export interface RunSplit {
  wallSeconds: number;
  /** Time activities spent running (started -> completed): SSH, Docker, Compose. */
  remoteSeconds: number;
  /** Everything else: scheduling, workflow tasks, hand-offs between steps. */
  overheadSeconds: number;
}

/** Splits a finished run's wall time using its history's event times. */
export async function splitRun(handle: WorkflowHandle): Promise<RunSplit> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
  const started = new Map<number, number>();
  let remote = 0;
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      started.set(Number(e.activityTaskStartedEventAttributes!.scheduledEventId), ms(e));
    }
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) remote += ms(e) - started.get(Number(done.scheduledEventId))!;
  }
  const wall = ms(events.at(-1)!) - ms(events[0]!);
  return { wallSeconds: wall / 1000, remoteSeconds: remote / 1000, overheadSeconds: (wall - remote) / 1000 };
}

export const fmt = (s: number) => `${s.toFixed(2)} s`;
