// How activities reach hosts: over the executor's pooled SSH connections, every
// command logged (argv only) through the activity logger, and heartbeats so
// that a dead worker is noticed and its attempt retried elsewhere.
import { Context } from '@temporalio/activity';
import { beat, currentContext } from './keep-alive.ts';
import { HostKeyMismatchError, HostUnreachableError, withHost, type RemoteHost } from '../ssh/executor.ts';
import type { HostTarget } from '../workflows/types.ts';
import { failure } from '../workflows/failures.ts';

export function onHost<T>(target: HostTarget, fn: (host: RemoteHost) => Promise<T>): Promise<T> {
  const log = (line: string) => activityLog(line);
  return withHost(target, log, fn).catch((err: unknown) => {
    // Unreachable hosts are retried by the activity's retry policy; say so plainly.
    if (err instanceof HostUnreachableError) throw failure('HostUnreachable', err.message);
    // A different host key is an impostor or a rebuilt host: a person must look, retrying cannot help.
    if (err instanceof HostKeyMismatchError) throw failure('HostKeyMismatch', err.message);
    throw err;
  });
}

function activityLog(line: string): void {
  try {
    Context.current().log.info(line);
  } catch {
    // outside an activity (benchmarks, scripts): stay quiet
  }
}

/** Heartbeats every few seconds while work runs, so long remote commands keep the attempt alive. */
export async function whileHeartbeating<T>(work: Promise<T>, details?: () => unknown): Promise<T> {
  const ctx = currentContext();
  if (!ctx) return work;
  const beatNow = () => beat(ctx, details?.());
  beatNow();
  const timer = setInterval(beatNow, 2000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
