// Every activity heartbeats while it runs, whatever it is waiting on. Without
// it, a worker that dies during a short step is noticed only when the step's
// whole start-to-close budget has run out (180 s for a quick step: measured
// by `npm run chaos`); with it, within the step's heartbeat timeout.
import { Context } from '@temporalio/activity';

/** How often a running activity tells the server it is alive (the SDK batches them to its throttle). */
const KEEP_ALIVE_MS = 2000;

// The newest details each running activity gave, so that a keep-alive beat
// never replaces them: a retried health gate resumes from its deadline.
const detailsOf = new WeakMap<Context, unknown>();

/**
 * Heartbeats the activity, keeping its newest details: those given now, or
 * those it gave before, or those its previous attempt left.
 */
export function beat(ctx: Context, details?: unknown): void {
  if (details !== undefined) detailsOf.set(ctx, details);
  ctx.heartbeat(detailsOf.has(ctx) ? detailsOf.get(ctx) : ctx.info.heartbeatDetails);
}

/**
 * The activity, heartbeating every few seconds from its start to its end.
 * Only where the caller set a heartbeat timeout (the SDK asks that no other
 * activity heartbeat) and never for a local activity (which cannot).
 */
export function keptAlive<A extends unknown[], R>(activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const ctx = currentContext();
    if (!ctx || ctx.info.isLocal || !ctx.info.heartbeatTimeoutMs) return activity(...args);
    beat(ctx);
    const timer = setInterval(() => beat(ctx), KEEP_ALIVE_MS);
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/** The running activity's context; none outside an activity (benchmarks, scripts). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Every activity of a set, kept alive. */
export function allKeptAlive<T extends Record<string, (...args: any[]) => Promise<any>>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, activity]) => [name, keptAlive(activity)])) as T;
}
