// How a promotion rolls out to the fleet (src/workflows/rollout.ts): the
// pure time-window arithmetic, and the scheduling of device updates. rollOut
// sleeps with the workflow's durable timer, which only works inside a
// workflow; here sleep is a fake that moves the (fake) clock forward, as a
// fired timer would. No Temporal server.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceReport, DeviceState, RolloutStrategy } from '../../src/workflows/types.ts';

const slept = vi.hoisted(() => [] as number[]);
vi.mock('@temporalio/workflow', () => ({
  /** A durable timer, faked: the clock is at least `ms` later when it fires; timers started together fire together. */
  sleep: async (ms: number) => {
    slept.push(ms);
    // A rollout that never gets inside its window would sleep forever: fail instead of hanging.
    if (slept.length > 100) throw new Error(`slept 100 times: ${slept.slice(0, 5).join(', ')}, …`);
    const firesAt = Date.now() + ms;
    await Promise.resolve();
    if (Date.now() < firesAt) vi.setSystemTime(firesAt);
  },
}));

const { chunks, localMinutes, msUntilWindow, rollOut, FAILED_STATES } = await import('../../src/workflows/rollout.ts');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (iso: string) => Date.parse(iso);

describe('chunks', () => {
  it('splits in order, the last chunk holding the rest', () => {
    expect(chunks(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(chunks(['a', 'b', 'c', 'd'], 2)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(chunks(['a', 'b'], 5)).toEqual([['a', 'b']]);
    expect(chunks(['a', 'b', 'c'], 1)).toEqual([['a'], ['b'], ['c']]);
    expect(chunks([], 3)).toEqual([]);
  });
});

describe('localMinutes', () => {
  it('is minutes since local midnight in UTC', () => {
    expect(localMinutes(at('2025-01-15T12:34:56Z'), 'UTC')).toBe(12 * 60 + 34);
    expect(localMinutes(at('2025-01-15T00:00:00Z'), 'UTC')).toBe(0);
    expect(localMinutes(at('2025-01-15T23:59:59Z'), 'UTC')).toBe(1439);
  });

  it('follows the zone: New York (-05:00 in winter, -04:00 in summer)', () => {
    expect(localMinutes(at('2025-01-15T12:00:00Z'), 'America/New_York')).toBe(7 * 60);
    expect(localMinutes(at('2025-07-15T12:00:00Z'), 'America/New_York')).toBe(8 * 60);
    // The day before in New York.
    expect(localMinutes(at('2025-01-15T03:10:00Z'), 'America/New_York')).toBe(22 * 60 + 10);
  });

  it('follows a half-hour zone: Kolkata (+05:30)', () => {
    expect(localMinutes(at('2025-01-15T12:00:00Z'), 'Asia/Kolkata')).toBe(17 * 60 + 30);
    // Local midnight is 0, never 24:00.
    expect(localMinutes(at('2025-01-14T18:30:00Z'), 'Asia/Kolkata')).toBe(0);
  });
});

describe('msUntilWindow', () => {
  const W = { start: '02:00', end: '04:00', timeZone: 'UTC' };

  it('is 0 inside the window, its start included', () => {
    expect(msUntilWindow(at('2025-01-15T02:00:00Z'), W)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T03:00:00Z'), W)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T03:59:59Z'), W)).toBe(0);
  });

  it('before the window: until it opens, to the millisecond', () => {
    expect(msUntilWindow(at('2025-01-15T01:00:00Z'), W)).toBe(HOUR);
    expect(msUntilWindow(at('2025-01-15T01:59:30Z'), W)).toBe(30_000);
    expect(msUntilWindow(at('2025-01-15T00:00:00.250Z'), W)).toBe(2 * HOUR - 250);
  });

  it('after the window (its end excluded): until it opens tomorrow', () => {
    expect(msUntilWindow(at('2025-01-15T04:00:00Z'), W)).toBe(22 * HOUR);
    expect(msUntilWindow(at('2025-01-15T05:00:00Z'), W)).toBe(21 * HOUR);
    expect(msUntilWindow(at('2025-01-15T23:59:00Z'), W)).toBe(2 * HOUR + MINUTE);
  });

  it('a window spanning midnight (22:00-04:00)', () => {
    const night = { start: '22:00', end: '04:00', timeZone: 'UTC' };
    expect(msUntilWindow(at('2025-01-15T22:00:00Z'), night)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T23:30:00Z'), night)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T00:00:00Z'), night)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T03:59:00Z'), night)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T04:00:00Z'), night)).toBe(18 * HOUR);
    expect(msUntilWindow(at('2025-01-15T12:00:00Z'), night)).toBe(10 * HOUR);
    expect(msUntilWindow(at('2025-01-15T21:59:15Z'), night)).toBe(45_000);
  });

  it('in New York: local times, not UTC', () => {
    const ny = { start: '02:00', end: '04:00', timeZone: 'America/New_York' };
    // 06:30Z is 01:30 EST.
    expect(msUntilWindow(at('2025-01-15T06:30:00Z'), ny)).toBe(30 * MINUTE);
    // 02:00 UTC would be inside a UTC window; it is 21:00 the day before in New York.
    expect(msUntilWindow(at('2025-01-15T02:00:00Z'), ny)).toBe(5 * HOUR);
    expect(msUntilWindow(at('2025-01-15T07:00:00Z'), ny)).toBe(0);
    // 12:00Z is 07:00 EST: until 02:00 EST tomorrow, which is 07:00Z.
    const wait = msUntilWindow(at('2025-01-15T12:00:00Z'), ny);
    expect(new Date(at('2025-01-15T12:00:00Z') + wait).toISOString()).toBe('2025-01-16T07:00:00.000Z');
  });

  it('in Kolkata (+05:30): the half hour counts', () => {
    const office = { start: '09:00', end: '17:00', timeZone: 'Asia/Kolkata' };
    // 09:00 IST is 03:30Z, 17:00 IST is 11:30Z.
    expect(msUntilWindow(at('2025-01-15T03:00:00Z'), office)).toBe(30 * MINUTE);
    expect(msUntilWindow(at('2025-01-15T03:30:00Z'), office)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T11:29:00Z'), office)).toBe(0);
    expect(msUntilWindow(at('2025-01-15T11:30:00Z'), office)).toBe(16 * HOUR);
  });
});

describe('rollOut', () => {
  beforeEach(() => {
    slept.length = 0;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at('2025-01-15T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const strategy = (over: Partial<RolloutStrategy>): RolloutStrategy => ({
    strategy: 'rolling',
    batchSize: 1,
    pauseSeconds: 0,
    maxFailures: 0,
    concurrency: 10,
    ...over,
  });
  const devices = (n: number) => Array.from({ length: n }, (_, i) => `smoker-${i + 1}`);

  /** A fake device update: ends in `states[device]` (default updated) after a few ms; records who ran, when, and how many at once. */
  function fleet(states: Record<string, DeviceState> = {}) {
    const seen = { started: [] as string[], startedAt: [] as number[], running: 0, maxRunning: 0 };
    const update = async (device: string): Promise<DeviceReport> => {
      seen.started.push(device);
      seen.startedAt.push(Date.now());
      seen.running++;
      seen.maxRunning = Math.max(seen.maxRunning, seen.running);
      await new Promise((resolve) => setTimeout(resolve, 1 + (seen.started.length % 3)));
      seen.running--;
      return { device, state: states[device] ?? 'updated' };
    };
    return { seen, update };
  }

  it('the failed states are rolled back, failed and gave up', () => {
    expect([...FAILED_STATES].sort()).toEqual(['failed', 'gave-up', 'rolled-back']);
  });

  describe('rolling', () => {
    it('updates batch by batch, the batch at once, pausing between batches only', async () => {
      const { seen, update } = fleet();
      const reports = await rollOut(devices(5), strategy({ batchSize: 2, pauseSeconds: 30 }), update);
      expect(reports.map((r) => [r.device, r.state])).toEqual(devices(5).map((d) => [d, 'updated']));
      expect(seen.maxRunning).toBe(2);
      expect(slept).toEqual([30_000, 30_000]);
      // The third batch started a minute (two pauses) after the first.
      expect(seen.startedAt[4]! - seen.startedAt[0]!).toBe(60_000);
    });

    it('does not sleep when there is no pause', async () => {
      const { update } = fleet();
      await rollOut(devices(3), strategy({ batchSize: 1 }), update);
      expect(slept).toEqual([]);
    });

    it('goes on while failures stay within maxFailures', async () => {
      const { seen, update } = fleet({ 'smoker-1': 'rolled-back' });
      const reports = await rollOut(devices(4), strategy({ batchSize: 2, maxFailures: 1 }), update);
      expect(seen.started).toEqual(devices(4));
      expect(reports.map((r) => r.state)).toEqual(['rolled-back', 'updated', 'updated', 'updated']);
    });

    it('stops once more than maxFailures failed, and marks the rest skipped with why', async () => {
      const { seen, update } = fleet({ 'smoker-1': 'rolled-back', 'smoker-4': 'gave-up' });
      const reports = await rollOut(devices(7), strategy({ batchSize: 2, pauseSeconds: 30, maxFailures: 1 }), update);
      expect(seen.started).toEqual(['smoker-1', 'smoker-2', 'smoker-3', 'smoker-4']);
      expect(reports.map((r) => [r.device, r.state])).toEqual([
        ['smoker-1', 'rolled-back'],
        ['smoker-2', 'updated'],
        ['smoker-3', 'updated'],
        ['smoker-4', 'gave-up'],
        ['smoker-5', 'skipped'],
        ['smoker-6', 'skipped'],
        ['smoker-7', 'skipped'],
      ]);
      for (const skipped of reports.slice(4)) {
        expect(skipped.detail).toBe('rollout stopped: 2 device(s) failed, more than maxFailures 1');
        expect(skipped.at).toBe(Date.now());
      }
      // One pause after the first batch; none after the batch that stopped the rollout.
      expect(slept).toEqual([30_000]);
    });

    it('with maxFailures 0, the first failure stops it', async () => {
      const { seen, update } = fleet({ 'smoker-1': 'failed' });
      const reports = await rollOut(devices(3), strategy({ batchSize: 1, maxFailures: 0 }), update);
      expect(seen.started).toEqual(['smoker-1']);
      expect(reports.map((r) => r.state)).toEqual(['failed', 'skipped', 'skipped']);
      expect(reports[1]!.detail).toBe('rollout stopped: 1 device(s) failed, more than maxFailures 0');
    });

    it('without a pause, a slot is refilled as soon as it frees: a slow device holds up no one', async () => {
      const seen: string[] = [];
      const gates = new Map<string, () => void>();
      const update = (device: string) =>
        new Promise<DeviceReport>((resolve) => {
          seen.push(device);
          const done = () => resolve({ device, state: 'updated' });
          // smoker-1 is slow: it ends only when the test says so; the others at once.
          if (device === 'smoker-1') gates.set(device, done);
          else setTimeout(done, 1);
        });
      const rollout = rollOut(devices(6), strategy({ batchSize: 2 }), update);
      await vi.waitFor(() => expect(seen).toEqual(devices(6)));
      gates.get('smoker-1')!();
      expect((await rollout).map((r) => r.state)).toEqual(Array(6).fill('updated'));
    });

    it('without a pause, at most batchSize at once; past maxFailures no new device starts, those under way finish', async () => {
      const { seen, update } = fleet({ 'smoker-2': 'rolled-back', 'smoker-3': 'failed' });
      const reports = await rollOut(devices(8), strategy({ batchSize: 3, maxFailures: 1 }), update);
      expect(seen.maxRunning).toBe(3);
      expect(reports.map((r) => r.state).slice(0, 3)).toEqual(['updated', 'rolled-back', 'failed']);
      const started = seen.started.length;
      expect(started).toBeLessThan(8);
      for (const r of reports.slice(started)) {
        expect(r.state).toBe('skipped');
        expect(r.detail).toBe('rollout stopped: 2 device(s) failed, more than maxFailures 1');
      }
      expect(slept).toEqual([]);
    });

    it('a failure in the last batch stops nothing and skips nobody', async () => {
      const { update } = fleet({ 'smoker-3': 'rolled-back' });
      const reports = await rollOut(devices(3), strategy({ batchSize: 1, pauseSeconds: 10 }), update);
      expect(reports.map((r) => r.state)).toEqual(['updated', 'updated', 'rolled-back']);
      expect(slept).toEqual([10_000, 10_000]);
    });
  });

  describe('immediate', () => {
    it('runs at most `concurrency` updates at once, and reports in the listed order', async () => {
      const { seen, update } = fleet({ 'smoker-2': 'rolled-back' });
      const reports = await rollOut(devices(7), strategy({ strategy: 'immediate', concurrency: 3 }), update);
      expect(seen.maxRunning).toBe(3);
      expect(seen.started).toEqual(devices(7));
      expect(reports.map((r) => r.device)).toEqual(devices(7));
      expect(reports[1]!.state).toBe('rolled-back');
      // A failure stops nothing: immediate has no maxFailures.
      expect(reports.filter((r) => r.state === 'updated')).toHaveLength(6);
      expect(slept).toEqual([]);
    });

    it('concurrency 1 is one at a time; more than the fleet is the whole fleet at once', async () => {
      const one = fleet();
      await rollOut(devices(4), strategy({ strategy: 'immediate', concurrency: 1 }), one.update);
      expect(one.seen.maxRunning).toBe(1);
      const all = fleet();
      await rollOut(devices(4), strategy({ strategy: 'immediate', concurrency: 10 }), all.update);
      expect(all.seen.maxRunning).toBe(4);
    });

    it('an empty fleet is no work', async () => {
      const { seen, update } = fleet();
      expect(await rollOut([], strategy({ strategy: 'immediate' }), update)).toEqual([]);
      expect(seen.started).toEqual([]);
    });
  });

  describe('window', () => {
    const window = (start: string, end: string, timeZone = 'UTC') => strategy({ strategy: 'window', concurrency: 2, window: { start, end, timeZone } });

    it('inside the window: starts at once, concurrency at a time', async () => {
      const { seen, update } = fleet();
      const reports = await rollOut(devices(5), window('11:00', '13:00'), update);
      expect(reports.map((r) => r.state)).toEqual(Array(5).fill('updated'));
      expect(seen.maxRunning).toBe(2);
      expect(slept).toEqual([]);
    });

    it('outside the window: sleeps until it opens, then updates', async () => {
      vi.setSystemTime(at('2025-01-15T01:00:00Z'));
      const { seen, update } = fleet();
      const reports = await rollOut(devices(3), window('02:00', '04:00'), update);
      expect(reports.map((r) => r.state)).toEqual(['updated', 'updated', 'updated']);
      expect(slept[0]).toBe(HOUR);
      expect(seen.startedAt.map((t) => new Date(t).toISOString())).toEqual(Array(3).fill('2025-01-15T02:00:00.000Z'));
      expect(seen.maxRunning).toBe(2);
    });

    it('a window spanning midnight in New York: every update starts inside it', async () => {
      // 12:00Z is 07:00 EST; the window opens at 22:00 EST, 03:00Z tomorrow.
      const { seen, update } = fleet();
      await rollOut(devices(2), window('22:00', '04:00', 'America/New_York'), update);
      expect(seen.startedAt.map((t) => new Date(t).toISOString())).toEqual(Array(2).fill('2025-01-16T03:00:00.000Z'));
    });

    it('a device whose turn comes after the window closed waits for the next one', async () => {
      // A two-minute window, and updates that take 90 s each, one at a time.
      vi.setSystemTime(at('2025-01-15T02:00:00Z'));
      const started: number[] = [];
      const slow = async (device: string): Promise<DeviceReport> => {
        started.push(Date.now());
        vi.setSystemTime(Date.now() + 90_000);
        return { device, state: 'updated' };
      };
      await rollOut(devices(3), { ...window('02:00', '02:02'), concurrency: 1 }, slow);
      expect(started.map((t) => new Date(t).toISOString())).toEqual([
        '2025-01-15T02:00:00.000Z',
        '2025-01-15T02:01:30.000Z',
        '2025-01-16T02:00:00.000Z',
      ]);
    });

    it('a clock change during the wait is seen within the hour: the window opens on time after clocks go back', async () => {
      // New York, 2025-11-02: 02:00 EDT becomes 01:00 EST at 06:00Z. At 04:00Z (00:00 EDT) a
      // 03:00 window is three local hours away, but four real hours: 08:00Z.
      vi.setSystemTime(at('2025-11-02T04:00:00Z'));
      const { seen, update } = fleet();
      await rollOut(devices(1), window('03:00', '04:00', 'America/New_York'), update);
      // Never more than an hour asleep, so the extra hour is noticed.
      expect(slept).toEqual([HOUR, HOUR, HOUR, HOUR]);
      expect(new Date(seen.startedAt[0]!).toISOString()).toBe('2025-11-02T08:00:00.000Z');
    });

    it('after clocks go forward the window still opens that day', async () => {
      // New York, 2025-03-09: 02:00 EST becomes 03:00 EDT at 07:00Z. A 04:00-05:00 window opens at 08:00Z.
      vi.setSystemTime(at('2025-03-09T05:00:00Z'));
      const { seen, update } = fleet();
      await rollOut(devices(1), window('04:00', '05:00', 'America/New_York'), update);
      expect(slept.every((ms) => ms <= HOUR)).toBe(true);
      expect(new Date(seen.startedAt[0]!).toISOString()).toBe('2025-03-09T08:00:00.000Z');
    });
  });
});
