// How a promotion updates a fleet of devices, each in a child workflow of
// its own: a few at a time, stopping once too many failed (rolling), all at
// once with bounded concurrency (immediate), or only inside a daily time
// window (window). Workflow-safe: sleep() is a durable timer, Date.now()
// the workflow clock.
import { sleep } from '@temporalio/workflow';
import type { DeviceReport, DeviceState, RolloutStrategy } from './types.ts';

/** A device that did not end up running the release. */
export const FAILED_STATES: ReadonlySet<DeviceState> = new Set(['rolled-back', 'failed', 'gave-up']);

export type UpdateDevice = (device: string) => Promise<DeviceReport>;

/** Updates every device as the strategy says; devices never started are reported `skipped`, with why. */
export async function rollOut(devices: string[], strategy: RolloutStrategy, update: UpdateDevice): Promise<DeviceReport[]> {
  switch (strategy.strategy) {
    case 'rolling':
      return rolling(devices, strategy, update);
    case 'immediate':
      return pool(devices, strategy.concurrency, update);
    case 'window':
      return pool(devices, strategy.concurrency, async (device) => {
        await untilInside(strategy.window!);
        return update(device);
      });
  }
}

async function rolling(devices: string[], strategy: RolloutStrategy, update: UpdateDevice): Promise<DeviceReport[]> {
  // Without a pause there is nothing to wait for between batches: a device
  // starts as soon as a slot frees, so neither a slow nor an offline device
  // holds up the rest. With a pause, batches soak before the next starts.
  if (strategy.pauseSeconds === 0) return pool(devices, strategy.batchSize, update, strategy.maxFailures);
  const reports: DeviceReport[] = [];
  const batches = chunks(devices, strategy.batchSize);
  for (const [i, batch] of batches.entries()) {
    reports.push(...(await Promise.all(batch.map(update))));
    const failed = reports.filter((r) => FAILED_STATES.has(r.state)).length;
    if (failed > strategy.maxFailures) {
      for (const device of batches.slice(i + 1).flat()) reports.push(skipped(device, failed, strategy.maxFailures));
      break;
    }
    if (i < batches.length - 1) await sleep(strategy.pauseSeconds * 1000);
  }
  return reports;
}

/**
 * At most `limit` updates at a time, in the listed order; reports in the
 * listed order. Past `maxFailures` failed devices no new update starts (those
 * under way finish) and the rest are skipped.
 */
async function pool(devices: string[], limit: number, update: UpdateDevice, maxFailures = Infinity): Promise<DeviceReport[]> {
  const reports: DeviceReport[] = new Array(devices.length);
  let next = 0;
  let failed = 0;
  const lane = async (): Promise<void> => {
    while (next < devices.length && failed <= maxFailures) {
      const i = next++;
      reports[i] = await update(devices[i]!);
      if (FAILED_STATES.has(reports[i]!.state)) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, devices.length) }, lane));
  for (let i = next; i < devices.length; i++) reports[i] = skipped(devices[i]!, failed, maxFailures);
  return reports;
}

const skipped = (device: string, failed: number, maxFailures: number): DeviceReport => ({
  device,
  state: 'skipped',
  detail: `rollout stopped: ${failed} device(s) failed, more than maxFailures ${maxFailures}`,
  at: Date.now(),
});

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight in the zone at `at` (ms since epoch). */
export function localMinutes(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/** Milliseconds until the window next opens: 0 inside it. A window may span midnight (22:00-04:00). */
export function msUntilWindow(at: number, window: { start: string; end: string; timeZone: string }): number {
  const now = localMinutes(at, window.timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const inside = start <= end ? now >= start && now < end : now >= start || now < end;
  if (inside) return 0;
  const minutes = (start - now + 1440) % 1440;
  // From the start of the current minute; at worst a minute early, then checked again.
  return Math.max(1, minutes * 60_000 - (at % 60_000));
}

/** Sleeps at most an hour at a time: a clock change (DST) during the wait is then seen in time. */
const LONGEST_SLEEP_MS = 3_600_000;

async function untilInside(window: { start: string; end: string; timeZone: string }): Promise<void> {
  for (let wait = msUntilWindow(Date.now(), window); wait > 0; wait = msUntilWindow(Date.now(), window)) await sleep(Math.min(wait, LONGEST_SLEEP_MS));
}
