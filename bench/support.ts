// Shared by the benchmarks: timing, printing, and the split of a run's wall
// time into remote work and orchestration. The worker they drive is the
// tests' own (test/support/worker.ts), on the lab's server.
import { execFileSync } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { REPO_ROOT } from '../test/support/paths.ts';

const EventType = proto.temporal.api.enums.v1.EventType;

export async function timed<T>(work: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { seconds: (performance.now() - t0) / 1000, value };
}

export function sh(script: string, env: Record<string, string> = {}): void {
  execFileSync('bash', ['-c', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
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
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
