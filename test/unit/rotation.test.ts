// Which backups the rotation deletes (src/workflows/rotation.ts): restic's
// daily/weekly/monthly buckets in the policy's zone, the guards on top (the
// newest, the last validated, the hold once backups stop), and a year of a
// scheduler rotating day by day, checked against invariants with fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, HOLD_AFTER_MS, isoWeek, periodsOf, rotate } from '../../src/workflows/rotation.ts';
import type { RetentionPolicy, RotationCandidate, RotationDecision } from '../../src/workflows/rotation.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
/** A backup named after when it was taken. */
const backup = (iso: string, validated?: boolean): RotationCandidate => (validated === undefined ? { id: iso, takenAt: at(iso) } : { id: iso, takenAt: at(iso), validated });
const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({ ...DEFAULT_RETENTION, ...over });
const keptIds = (d: RotationDecision) => d.keep.map((k) => k.id);
const reasonsOf = (d: RotationDecision, id: string) => d.keep.find((k) => k.id === id)?.reasons;

/** One backup a day at 02:00 UTC, oldest first, named by its date. */
function dailyBackups(first: string, days: number): RotationCandidate[] {
  return Array.from({ length: days }, (_, i) => {
    const takenAt = at(`${first}T02:00:00Z`) + i * DAY;
    return { id: new Date(takenAt).toISOString().slice(0, 10), takenAt };
  });
}

describe('periodsOf', () => {
  it('names the day, ISO week and month, in UTC', () => {
    expect(periodsOf(at('2026-11-27T12:00:00Z'), 'UTC')).toEqual({ day: '2026-11-27', week: '2026-W48', month: '2026-11' });
    expect(periodsOf(at('2026-01-05T00:00:00Z'), 'UTC')).toEqual({ day: '2026-01-05', week: '2026-W02', month: '2026-01' });
  });

  it('ISO weeks cross the year: the week belongs to the year its Thursday is in', () => {
    // 2026 starts on a Thursday, so it has 53 weeks; W53 runs Monday 2026-12-28 to Sunday 2027-01-03.
    for (const day of ['2026-12-28', '2026-12-31', '2027-01-01', '2027-01-03']) expect(periodsOf(at(`${day}T12:00:00Z`), 'UTC').week).toBe('2026-W53');
    expect(periodsOf(at('2027-01-04T00:00:00Z'), 'UTC').week).toBe('2027-W01');
    // And the other way: 2025-W01 starts in December 2024.
    expect(periodsOf(at('2024-12-29T12:00:00Z'), 'UTC').week).toBe('2024-W52');
    expect(periodsOf(at('2024-12-30T12:00:00Z'), 'UTC')).toEqual({ day: '2024-12-30', week: '2025-W01', month: '2024-12' });
    expect(isoWeek(2021, 1, 3)).toEqual({ year: 2020, week: 53 });
    expect(isoWeek(2021, 1, 4)).toEqual({ year: 2021, week: 1 });
  });

  it('follows the zone: 23:30 UTC is already tomorrow in Berlin, and 03:00 UTC still yesterday in New York', () => {
    expect(periodsOf(at('2026-11-26T23:30:00Z'), 'UTC').day).toBe('2026-11-26');
    expect(periodsOf(at('2026-11-26T23:30:00Z'), 'Europe/Berlin').day).toBe('2026-11-27');
    // The last hour of November in UTC is December, in a new week, in Berlin.
    expect(periodsOf(at('2026-11-29T23:30:00Z'), 'Europe/Berlin')).toEqual({ day: '2026-11-30', week: '2026-W49', month: '2026-11' });
    expect(periodsOf(at('2026-11-30T23:30:00Z'), 'Europe/Berlin')).toEqual({ day: '2026-12-01', week: '2026-W49', month: '2026-12' });
    expect(periodsOf(at('2026-11-27T03:00:00Z'), 'America/New_York').day).toBe('2026-11-26');
  });

  it('DST in Berlin: 2026-03-29 lasts 23 hours and 2026-10-25 lasts 25', () => {
    const berlinDay = (iso: string) => periodsOf(at(iso), 'Europe/Berlin').day;
    // Spring: 00:00 CET is 23:00Z the evening before; 24:00 CEST is 22:00Z.
    expect(berlinDay('2026-03-28T22:59:59Z')).toBe('2026-03-28');
    expect(berlinDay('2026-03-28T23:00:00Z')).toBe('2026-03-29');
    expect(berlinDay('2026-03-29T21:59:59Z')).toBe('2026-03-29');
    expect(berlinDay('2026-03-29T22:00:00Z')).toBe('2026-03-30');
    // Autumn: 00:00 CEST is 22:00Z the evening before; 24:00 CET is 23:00Z.
    expect(berlinDay('2026-10-24T21:59:59Z')).toBe('2026-10-24');
    expect(berlinDay('2026-10-24T22:00:00Z')).toBe('2026-10-25');
    expect(berlinDay('2026-10-25T22:59:59Z')).toBe('2026-10-25');
    expect(berlinDay('2026-10-25T23:00:00Z')).toBe('2026-10-26');
  });
});

describe('rotate', () => {
  it('empty input: nothing to keep, nothing to remove', () => {
    expect(rotate([], DEFAULT_RETENTION, at('2026-11-27T12:00:00Z'))).toEqual({ keep: [], remove: [] });
  });

  it('30 daily backups: 7 days, then the newest of each older week and month, as restic keeps them', () => {
    // 2026-11-10 (Tuesday) to 2026-12-09 (Wednesday). Weeks: W50 from 12-07, W49 from 11-30, W48 from 11-23, W47 from 11-16.
    const backups = dailyBackups('2026-11-10', 30);
    const decision = rotate(backups, DEFAULT_RETENTION, at('2026-12-09T03:00:00Z'));
    expect(decision.keep).toEqual([
      { id: '2026-12-09', reasons: ['daily 2026-12-09', 'weekly 2026-W50', 'monthly 2026-12', 'newest'] },
      { id: '2026-12-08', reasons: ['daily 2026-12-08'] },
      { id: '2026-12-07', reasons: ['daily 2026-12-07'] },
      { id: '2026-12-06', reasons: ['daily 2026-12-06', 'weekly 2026-W49'] },
      { id: '2026-12-05', reasons: ['daily 2026-12-05'] },
      { id: '2026-12-04', reasons: ['daily 2026-12-04'] },
      { id: '2026-12-03', reasons: ['daily 2026-12-03'] },
      // Only two months have backups: the other ten monthly slots stay empty.
      { id: '2026-11-30', reasons: ['monthly 2026-11'] },
      { id: '2026-11-29', reasons: ['weekly 2026-W48'] },
      { id: '2026-11-22', reasons: ['weekly 2026-W47'] },
    ]);
    expect(decision.remove).toEqual([
      '2026-12-02', '2026-12-01', '2026-11-28', '2026-11-27', '2026-11-26', '2026-11-25', '2026-11-24', '2026-11-23',
      '2026-11-21', '2026-11-20', '2026-11-19', '2026-11-18', '2026-11-17', '2026-11-16', '2026-11-15', '2026-11-14',
      '2026-11-13', '2026-11-12', '2026-11-11', '2026-11-10',
    ]);
    expect(decision.held).toBeUndefined();
  });

  it('two backups on the same day: the newer one stays', () => {
    const backups = [backup('2026-11-27T02:00:00Z'), backup('2026-11-27T14:00:00Z'), backup('2026-11-28T02:00:00Z')];
    const decision = rotate(backups, DEFAULT_RETENTION, at('2026-11-28T03:00:00Z'));
    expect(keptIds(decision)).toEqual(['2026-11-28T02:00:00Z', '2026-11-27T14:00:00Z']);
    expect(reasonsOf(decision, '2026-11-27T14:00:00Z')).toEqual(['daily 2026-11-27']);
    expect(decision.remove).toEqual(['2026-11-27T02:00:00Z']);
  });

  it('days, weeks and months without backups do not count towards keep', () => {
    // Three days with backups in two months and a half: keep 3 daily reaches back to the first.
    const backups = [backup('2026-09-15T02:00:00Z'), backup('2026-10-01T02:00:00Z'), backup('2026-11-01T02:00:00Z'), backup('2026-11-20T02:00:00Z')];
    const now = at('2026-11-20T03:00:00Z');
    expect(keptIds(rotate(backups, policy({ keepDaily: 3, keepWeekly: 0, keepMonthly: 0 }), now))).toEqual([
      '2026-11-20T02:00:00Z', '2026-11-01T02:00:00Z', '2026-10-01T02:00:00Z',
    ]);
    expect(keptIds(rotate(backups, policy({ keepDaily: 0, keepWeekly: 3, keepMonthly: 0 }), now))).toEqual([
      '2026-11-20T02:00:00Z', '2026-11-01T02:00:00Z', '2026-10-01T02:00:00Z',
    ]);
    // 2026-11 and 2026-10 each have their own; September is the third month with a backup.
    expect(keptIds(rotate(backups, policy({ keepDaily: 0, keepWeekly: 0, keepMonthly: 3 }), now))).toEqual([
      '2026-11-20T02:00:00Z', '2026-10-01T02:00:00Z', '2026-09-15T02:00:00Z',
    ]);
  });

  it('a backup that is the newest of its day, week and month has all three reasons', () => {
    // Sunday 2026-05-31 ends both week 22 and May; Monday 2026-06-01 starts both anew.
    const decision = rotate([backup('2026-05-31T20:00:00Z'), backup('2026-06-01T02:00:00Z')], DEFAULT_RETENTION, at('2026-06-01T03:00:00Z'));
    expect(reasonsOf(decision, '2026-05-31T20:00:00Z')).toEqual(['daily 2026-05-31', 'weekly 2026-W22', 'monthly 2026-05']);
    expect(reasonsOf(decision, '2026-06-01T02:00:00Z')).toEqual(['daily 2026-06-01', 'weekly 2026-W23', 'monthly 2026-06', 'newest']);
    expect(decision.remove).toEqual([]);
  });

  it('ISO weeks across the new year: 2026-12-31 and 2027-01-01 are one week, 2026-W53', () => {
    const backups = ['2026-12-27', '2026-12-31', '2027-01-01', '2027-01-04'].map((day) => backup(`${day}T02:00:00Z`));
    const decision = rotate(backups, policy({ keepDaily: 0, keepWeekly: 3, keepMonthly: 0 }), at('2027-01-04T03:00:00Z'));
    expect(decision.keep).toEqual([
      { id: '2027-01-04T02:00:00Z', reasons: ['weekly 2027-W01', 'newest'] },
      { id: '2027-01-01T02:00:00Z', reasons: ['weekly 2026-W53'] },
      { id: '2026-12-27T02:00:00Z', reasons: ['weekly 2026-W52'] },
    ]);
    expect(decision.remove).toEqual(['2026-12-31T02:00:00Z']);
    // By month they are two: December's last backup stays.
    expect(keptIds(rotate(backups, policy({ keepDaily: 0, keepWeekly: 0, keepMonthly: 2 }), at('2027-01-04T03:00:00Z')))).toEqual([
      '2027-01-04T02:00:00Z', '2026-12-31T02:00:00Z',
    ]);
  });

  it('the zone moves the bucket: 23:30 UTC is the next day in Berlin, so both backups are a newest of their day there', () => {
    const backups = [backup('2026-11-26T22:00:00Z'), backup('2026-11-26T23:30:00Z')];
    const now = at('2026-11-27T03:00:00Z');
    const utc = rotate(backups, policy({ timeZone: 'UTC' }), now);
    expect(utc.remove).toEqual(['2026-11-26T22:00:00Z']);
    const berlin = rotate(backups, policy({ timeZone: 'Europe/Berlin' }), now);
    expect(berlin.remove).toEqual([]);
    expect(reasonsOf(berlin, '2026-11-26T23:30:00Z')![0]).toBe('daily 2026-11-27');
    expect(reasonsOf(berlin, '2026-11-26T22:00:00Z')![0]).toBe('daily 2026-11-26');
  });

  it('DST change days in Berlin: the 23-hour and the 25-hour day are each one bucket', () => {
    const dailyOnly = policy({ keepDaily: 7, keepWeekly: 0, keepMonthly: 0, timeZone: 'Europe/Berlin' });
    // Spring forward: 23:00Z on the 28th is 00:00 on the 29th, 22:00Z on the 29th already 00:00 on the 30th.
    // A fixed +01:00 would put the last two on one day (22:59 and 23:00 on the 29th).
    const spring = ['2026-03-28T22:59:00Z', '2026-03-28T23:00:00Z', '2026-03-29T21:59:00Z', '2026-03-29T22:00:00Z'].map((iso) => backup(iso));
    const springDecision = rotate(spring, dailyOnly, at('2026-03-30T03:00:00Z'));
    expect(springDecision.keep).toEqual([
      { id: '2026-03-29T22:00:00Z', reasons: ['daily 2026-03-30', 'newest'] },
      { id: '2026-03-29T21:59:00Z', reasons: ['daily 2026-03-29'] },
      { id: '2026-03-28T22:59:00Z', reasons: ['daily 2026-03-28'] },
    ]);
    expect(springDecision.remove).toEqual(['2026-03-28T23:00:00Z']);
    // Fall back: 22:00Z on the 24th is 00:00 CEST on the 25th, 22:59Z on the 25th is 23:59 CET, still the 25th.
    // A fixed +02:00 would put the last two on one day (00:59 and 01:00 on the 26th).
    const autumn = ['2026-10-24T22:00:00Z', '2026-10-25T22:59:00Z', '2026-10-25T23:00:00Z'].map((iso) => backup(iso));
    const autumnDecision = rotate(autumn, dailyOnly, at('2026-10-26T03:00:00Z'));
    expect(autumnDecision.keep).toEqual([
      { id: '2026-10-25T23:00:00Z', reasons: ['daily 2026-10-26', 'newest'] },
      { id: '2026-10-25T22:59:00Z', reasons: ['daily 2026-10-25'] },
    ]);
    expect(autumnDecision.remove).toEqual(['2026-10-24T22:00:00Z']);
  });

  it('never removes the newest, even with every rule off', () => {
    const backups = dailyBackups('2026-11-01', 5);
    const decision = rotate(backups, policy({ keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }), at('2026-11-05T03:00:00Z'));
    expect(decision.keep).toEqual([{ id: '2026-11-05', reasons: ['newest'] }]);
    expect(decision.remove).toEqual(['2026-11-04', '2026-11-03', '2026-11-02', '2026-11-01']);
  });

  it('keeps the last validated backup even when no rule does, and only the last one', () => {
    // 2026-09-01 to 2026-10-30, of which two were restored and checked: 09-10 and 09-20.
    const backups = dailyBackups('2026-09-01', 60).map((b) => (b.id === '2026-09-10' || b.id === '2026-09-20' ? { ...b, validated: true } : b));
    const decision = rotate(backups, DEFAULT_RETENTION, at('2026-10-30T03:00:00Z'));
    // 09-20 is neither among the last 7 days, nor the newest of the last 4 weeks (those start 10-05), nor September's last.
    expect(reasonsOf(decision, '2026-09-20')).toEqual(['last validated']);
    expect(decision.remove).toContain('2026-09-10');
    expect(keptIds(decision)).toEqual(['2026-10-30', '2026-10-29', '2026-10-28', '2026-10-27', '2026-10-26', '2026-10-25', '2026-10-24', '2026-10-18', '2026-10-11', '2026-09-30', '2026-09-20']);
    // A validated backup that a rule keeps anyway lists both reasons.
    const newestValidated = rotate(backups.map((b) => (b.id === '2026-10-28' ? { ...b, validated: true } : b)), DEFAULT_RETENTION, at('2026-10-30T03:00:00Z'));
    expect(reasonsOf(newestValidated, '2026-10-28')).toEqual(['daily 2026-10-28', 'last validated']);
    expect(newestValidated.remove).toContain('2026-09-20');
  });

  it('after a 10-day stop nothing is deleted, and held says why', () => {
    const backups = dailyBackups('2026-09-01', 60);
    const last = backups.at(-1)!;
    const decision = rotate(backups, DEFAULT_RETENTION, last.takenAt + 10 * DAY);
    expect(decision.remove).toEqual([]);
    expect(decision.held).toBe(`rotation paused: the newest backup, ${last.id}, is 10 days old, so backups seem to have stopped; nothing is deleted until a new backup is taken`);
    // Every backup is accounted for: what the rules would not keep is held.
    expect(decision.keep).toHaveLength(60);
    expect(reasonsOf(decision, '2026-09-02')).toEqual(['held']);
    expect(reasonsOf(decision, last.id)).toEqual(['daily 2026-10-30', 'weekly 2026-W44', 'monthly 2026-10', 'newest']);
    // A day after the last backup, rotation goes on as usual.
    const dayAfter = rotate(backups, DEFAULT_RETENTION, last.takenAt + DAY);
    expect(dayAfter.held).toBeUndefined();
    expect(dayAfter.remove.length).toBeGreaterThan(0);
  });

  it('holds only once the newest backup is more than two days old', () => {
    const backups = dailyBackups('2026-09-01', 20);
    const last = backups.at(-1)!;
    expect(rotate(backups, DEFAULT_RETENTION, last.takenAt + HOLD_AFTER_MS).held).toBeUndefined();
    const justOver = rotate(backups, DEFAULT_RETENTION, last.takenAt + HOLD_AFTER_MS + 1);
    expect(justOver.remove).toEqual([]);
    expect(justOver.held).toContain('is 2 days old');
    expect(rotate(backups, DEFAULT_RETENTION, last.takenAt + 3 * DAY + 5 * HOUR + 59_000).held).toContain('is 3 days 5 hours old');
  });

  it('equal times are ordered by id, whatever the input order: the greater id counts as newer', () => {
    const a = { id: 'backup-a', takenAt: at('2026-11-27T02:00:00Z') };
    const b = { id: 'backup-b', takenAt: at('2026-11-27T02:00:00Z') };
    const now = at('2026-11-27T03:00:00Z');
    for (const input of [[a, b], [b, a]]) {
      expect(rotate(input, DEFAULT_RETENTION, now)).toEqual({ keep: [{ id: 'backup-b', reasons: ['daily 2026-11-27', 'weekly 2026-W48', 'monthly 2026-11', 'newest'] }], remove: ['backup-a'] });
    }
  });

  it('does not depend on, or change, the order of its input', () => {
    const backups = dailyBackups('2026-09-01', 60);
    const reversed = [...backups].reverse();
    const copy = structuredClone(reversed);
    const now = at('2026-10-30T03:00:00Z');
    expect(rotate(reversed, DEFAULT_RETENTION, now)).toEqual(rotate(backups, DEFAULT_RETENTION, now));
    expect(reversed).toEqual(copy);
  });

  it('keeps a backup without a usable time, and does not let it pass for the newest', () => {
    const backups = [...dailyBackups('2026-11-01', 10), { id: 'broken', takenAt: Number.NaN }];
    const decision = rotate(backups, policy({ keepDaily: 1, keepWeekly: 0, keepMonthly: 0 }), at('2026-11-10T03:00:00Z'));
    expect(decision.keep).toEqual([
      { id: '2026-11-10', reasons: ['daily 2026-11-10', 'newest'] },
      { id: 'broken', reasons: ['undated'] },
    ]);
    expect(decision.remove).toHaveLength(9);
  });

  it('Infinity keeps the newest of every day', () => {
    const backups = [...dailyBackups('2026-11-01', 10), backup('2026-11-05T12:00:00Z')];
    const decision = rotate(backups, policy({ keepDaily: Infinity, keepWeekly: 0, keepMonthly: 0 }), at('2026-11-10T03:00:00Z'));
    expect(decision.keep).toHaveLength(10);
    expect(decision.remove).toEqual(['2026-11-05']);
  });
});

describe('a year of daily rotation, with gaps and restarts (property)', () => {
  const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland'];
  const YEAR_START = Date.UTC(2026, 0, 1);
  const DAYS = 365;

  /** One UTC day: the backups taken (ms into the day, some validated) and whether the scheduler ran rotation at its end. */
  const day = fc.record({
    backups: fc.array(fc.record({ offset: fc.integer({ min: 0, max: DAY - 1 }), validated: fc.integer({ min: 0, max: 9 }).map((n) => n === 0) }), { maxLength: 3 }),
    rotated: fc.integer({ min: 0, max: 5 }).map((n) => n !== 0),
  });
  /** Stretches with no backups at all: the database host was down, or the backup job broken. */
  const stops = fc.array(fc.record({ from: fc.integer({ min: 0, max: DAYS - 1 }), days: fc.integer({ min: 1, max: 20 }) }), { maxLength: 4 });
  /** A rule's count, off half the time. */
  const count = (max: number) => fc.oneof(fc.constant(0), fc.integer({ min: 1, max }));
  const retention = fc.record({
    counts: fc.oneof(
      { arbitrary: fc.constant({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12 }), weight: 2 },
      // Every rule off: only the guards keep anything.
      { arbitrary: fc.constant({ keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }), weight: 1 },
      { arbitrary: fc.record({ keepDaily: count(10), keepWeekly: count(6), keepMonthly: count(14) }), weight: 3 },
    ),
    timeZone: fc.constantFrom(...ZONES),
  }).map(({ counts, timeZone }): RetentionPolicy => ({ ...counts, timeZone }));

  /** The local day of a moment, by another road than rotation.ts takes: a formatted string, not parts. */
  const localDayReader = (timeZone: string) => {
    const format = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    return (at: number) => format.format(at);
  };
  const newerFirst = (a: RotationCandidate, b: RotationCandidate) => b.takenAt - a.takenAt || (a.id < b.id ? 1 : -1);

  /** What must hold for any decision on `backups` at `now`: the broken rules, none if all is well. (Plain checks, one expect per step: expect() in loops made a run take seconds.) */
  function violations(backups: RotationCandidate[], policy: RetentionPolicy, now: number, decision: RotationDecision, localDay: (at: number) => string): string[] {
    const broken: string[] = [];
    const kept = new Set(keptIds(decision));
    const removed = new Set(decision.remove);
    const fail = (rule: string, detail: unknown = '') => broken.push(`${rule} ${JSON.stringify(detail)}`);
    if (kept.size + removed.size !== backups.length || kept.size !== decision.keep.length || backups.some((b) => !kept.has(b.id) && !removed.has(b.id))) fail('every backup decided once');
    for (const k of decision.keep) if (k.reasons.length === 0) fail('a kept backup has a reason', k.id);
    const sorted = [...backups].sort(newerFirst);
    const newest = sorted[0];
    if (!newest) return broken;
    if (removed.has(newest.id)) fail('the newest stays', newest.id);
    const lastValidated = sorted.find((b) => b.validated);
    if (lastValidated && removed.has(lastValidated.id)) fail('the last validated stays', lastValidated.id);
    if (now - newest.takenAt > HOLD_AFTER_MS) {
      if (removed.size > 0) fail('nothing is removed once backups stopped', decision.remove);
      if (!decision.held?.startsWith('rotation paused')) fail('held says why', decision.held);
    } else {
      if (decision.held !== undefined) fail('not held while backups are fresh', decision.held);
      // Each rule keeps at most its count; anything else is kept for being the newest or the last validated.
      const byRule = (name: string) => decision.keep.filter((k) => k.reasons.some((r) => r.startsWith(`${name} `))).length;
      if (byRule('daily') > policy.keepDaily || byRule('weekly') > policy.keepWeekly || byRule('monthly') > policy.keepMonthly) fail('each rule keeps at most its count', decision.keep);
      if (kept.size > policy.keepDaily + policy.keepWeekly + policy.keepMonthly + 2) fail('at most the rules, the newest and the last validated', decision.keep);
    }
    // The newest backup of each of the last keepDaily days that have backups stays.
    const newestPerDay = new Map<string, string>();
    for (const b of sorted) if (!newestPerDay.has(localDay(b.takenAt))) newestPerDay.set(localDay(b.takenAt), b.id);
    for (const [day, id] of [...newestPerDay].slice(0, policy.keepDaily)) if (!kept.has(id)) fail('the newest of each recent day stays', { day, id });
    // Rotating what is kept removes nothing more.
    const again = rotate(backups.filter((b) => kept.has(b.id)), policy, now).remove;
    if (again.length > 0) fail('rotating the kept ones again removes nothing', again);
    return broken;
  }

  it('keeps its invariants at every step, and ends where one rotation of the whole year would', () => {
    const seen = { held: 0, removed: 0 };
    fc.assert(
      fc.property(fc.array(day, { minLength: DAYS, maxLength: DAYS }), stops, retention, (days, stops, policy) => {
        const stopped = (d: number) => stops.some((s) => d >= s.from && d < s.from + s.days);
        const localDay = localDayReader(policy.timeZone);
        const everything: RotationCandidate[] = [];
        let stored: RotationCandidate[] = [];
        let now = YEAR_START;
        for (const [d, { backups, rotated }] of days.entries()) {
          const start = YEAR_START + d * DAY;
          now = start + DAY;
          if (!stopped(d)) {
            const taken = backups.map(({ offset, validated }, i) => ({ id: `d${String(d).padStart(3, '0')}-${i}`, takenAt: start + offset, ...(validated ? { validated } : {}) }));
            everything.push(...taken);
            stored.push(...taken);
          }
          // A worker that was down this day (a restart) rotates nothing; the next run catches up.
          if (!rotated) continue;
          const decision = rotate(stored, policy, now);
          expect(violations(stored, policy, now, decision, localDay), `day ${d}`).toEqual([]);
          if (decision.held) seen.held++;
          if (decision.remove.length > 0) seen.removed++;
          const removed = new Set(decision.remove);
          stored = stored.filter((b) => !removed.has(b.id));
        }
        // However often it ran, rotation day by day keeps what one rotation of the whole year would.
        const once = rotate(everything, policy, now);
        if (!once.held) expect(rotate(stored, policy, now).keep).toEqual(once.keep);
      }),
      { numRuns: 25 },
    );
    // The runs did exercise both holding and removing.
    expect(seen.held).toBeGreaterThan(0);
    expect(seen.removed).toBeGreaterThan(0);
  });
});
