// Which database backups to delete: grandfather-father-son rotation as
// restic's `forget --keep-daily/--keep-weekly/--keep-monthly` does it, plus
// guards restic leaves to the operator. The newest backup and the newest
// validated one always stay, and nothing is deleted once backups have
// stopped: then the old backups are all there is, and deleting them by the
// calendar would eat the history while nobody is making new ones.
// Workflow-safe: pure, the caller passes `now` (the workflow clock), and
// only Intl is asked anything (where days begin in the policy's zone).

export interface RetentionPolicy {
  /** The newest backup of each of the newest `keepDaily` days that have one. 0 turns the rule off; Infinity keeps every day. */
  keepDaily: number;
  /** The same per ISO week (Monday to Sunday, numbered in its ISO week-year). */
  keepWeekly: number;
  /** The same per calendar month. */
  keepMonthly: number;
  /** IANA zone where days, weeks and months begin: a 00:30 backup in Berlin belongs to that Berlin day, not to yesterday in UTC. */
  timeZone: string;
}

export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12, timeZone: 'UTC' });

export interface RotationCandidate {
  id: string;
  /** When the backup was taken, in ms since the epoch. */
  takenAt: number;
  /** A restore of it was tested and succeeded. */
  validated?: boolean;
}

export interface RotationDecision {
  /** Newest first, each with every reason it stays: 'daily 2026-11-27', 'weekly 2026-W48', 'monthly 2026-11', 'newest', 'last validated', 'held', 'undated'. */
  keep: { id: string; reasons: string[] }[];
  /** Newest first. Every candidate is in exactly one of keep and remove. */
  remove: string[];
  /** Set when nothing is deleted because the newest backup is too old: why, for the operator. */
  held?: string;
}

/** Once the newest backup is older than this, backups have stopped and rotation holds. */
export const HOLD_AFTER_MS = 2 * 86_400_000;

const DAY_MS = 86_400_000;

/** The calendar periods a moment falls in, in one zone: '2026-11-27', '2026-W48', '2026-11'. */
export interface Periods {
  day: string;
  week: string;
  month: string;
}

export function rotate(backups: RotationCandidate[], policy: RetentionPolicy, now: number): RotationDecision {
  // A backup without a usable time cannot be placed in any period, and NaN
  // would scramble the sort that decides which one is the newest: keep it.
  const undated = backups.filter((b) => !Number.isFinite(b.takenAt));
  const newestFirst = backups.filter((b) => Number.isFinite(b.takenAt)).sort(newerFirst);
  const newest = newestFirst[0];
  if (!newest) return { keep: undated.map(({ id }) => ({ id, reasons: ['undated'] })), remove: [] };

  const periodsAt = periodReader(policy.timeZone);
  const rules = [
    { name: 'daily', keep: policy.keepDaily, of: (p: Periods) => p.day },
    { name: 'weekly', keep: policy.keepWeekly, of: (p: Periods) => p.week },
    { name: 'monthly', keep: policy.keepMonthly, of: (p: Periods) => p.month },
  ].map((rule) => ({ ...rule, kept: new Set<string>() }));

  const reasons = new Map<RotationCandidate, string[]>();
  for (const backup of newestFirst) {
    const periods = periodsAt(backup.takenAt);
    const why: string[] = [];
    for (const rule of rules) {
      const period = rule.of(periods);
      // Newest first, so the first backup seen in a period is its newest. Only
      // periods that have a backup count towards `keep`, as in restic: a
      // week without backups does not push an older week out. A set rather
      // than restic's "differs from the previous one": where clocks go back
      // across midnight, a day's backups need not be contiguous. Restic 0.17
      // also keeps the oldest backup while a rule has room left (restic#4366);
      // not here (yet): only the newest of a period is kept, as before 0.17.
      if (rule.kept.size < rule.keep && !rule.kept.has(period)) {
        rule.kept.add(period);
        why.push(`${rule.name} ${period}`);
      }
    }
    reasons.set(backup, why);
  }

  reasons.get(newest)!.push('newest');
  const lastValidated = newestFirst.find((b) => b.validated === true);
  if (lastValidated) reasons.get(lastValidated)!.push('last validated');

  const age = now - newest.takenAt;
  const held = age > HOLD_AFTER_MS ? `rotation paused: the newest backup, ${newest.id}, is ${formatAge(age)} old, so backups seem to have stopped; nothing is deleted until a new backup is taken` : undefined;

  const keep: RotationDecision['keep'] = [];
  const remove: string[] = [];
  for (const backup of newestFirst) {
    const why = reasons.get(backup)!;
    if (why.length === 0 && held) why.push('held');
    if (why.length > 0) keep.push({ id: backup.id, reasons: why });
    else remove.push(backup.id);
  }
  for (const { id } of undated) keep.push({ id, reasons: ['undated'] });
  return held ? { keep, remove, held } : { keep, remove };
}

/**
 * The host copy's candidates for rotation: its backups that the store holds
 * too, placed by the store's manifests (when taken, whether validated), not
 * by the host's. A backup on the host alone is not a candidate: whoever can
 * write on the host can plant a manifest there, and a planted "newest" one
 * would push real backups out of their periods. Those stay where they are,
 * counted by no rule, and are reported as host-only.
 */
export function vouchedByStore(onHost: readonly { id: string }[], inStore: readonly RotationCandidate[]): { candidates: RotationCandidate[]; hostOnly: string[] } {
  const stored = new Map(inStore.map((b) => [b.id, b]));
  const candidates: RotationCandidate[] = [];
  const hostOnly: string[] = [];
  for (const { id } of onHost) {
    const vouched = stored.get(id);
    if (vouched) candidates.push(vouched);
    else hostOnly.push(id);
  }
  return { candidates, hostOnly };
}

/** Newest first; equal times by id, the greater id first, so that the result never depends on the order of the input. */
function newerFirst(a: RotationCandidate, b: RotationCandidate): number {
  // Not localeCompare: collation depends on the ICU build, and a workflow must decide the same way on every worker.
  return b.takenAt - a.takenAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function periodsOf(at: number, timeZone: string): Periods {
  return periodReader(timeZone)(at);
}

function periodReader(timeZone: string): (at: number) => Periods {
  const format = dateFormat(timeZone);
  return (at) => {
    const parts = format.formatToParts(at);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const [year, month, day] = [get('year'), get('month'), get('day')];
    const iso = isoWeek(year, month, day);
    return {
      day: `${year}-${pad(month)}-${pad(day)}`,
      week: `${iso.year}-W${pad(iso.week)}`,
      month: `${year}-${pad(month)}`,
    };
  };
}

// Building a DateTimeFormat with a zone costs some 100 µs, using one some 5: one per zone, kept. A formatter
// answers the same wherever and whenever it is asked, so sharing one between workflows keeps them deterministic.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, calendar: 'gregory', numberingSystem: 'latn', year: 'numeric', month: 'numeric', day: 'numeric' });
    dateFormats.set(timeZone, format);
  }
  return format;
}

/** Days since 1970-01-01 of a calendar date: plain arithmetic, no zone involved. */
const dayNumber = (year: number, month: number, day: number) => Date.UTC(year, month - 1, day) / DAY_MS;

/** ISO 8601 week of a local calendar date: weeks start on Monday and belong to the year their Thursday is in, so 2026-12-31 is in 2026-W53 and 2024-12-30 in 2025-W01. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const days = dayNumber(year, month, day);
  // 1970-01-01 was a Thursday.
  const weekday = (((days + 3) % 7) + 7) % 7; // Monday 0 … Sunday 6
  const thursday = days - weekday + 3;
  const isoYear = thursday < dayNumber(year, 1, 1) ? year - 1 : thursday >= dayNumber(year + 1, 1, 1) ? year + 1 : year;
  return { year: isoYear, week: Math.floor((thursday - dayNumber(isoYear, 1, 1)) / 7) + 1 };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** '10 days', '2 days 5 hours', '1 day 1 hour': whole hours are precise enough for a backup that stopped days ago. */
function formatAge(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / 3_600_000);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return hours === 0 ? unit(days, 'day') : `${unit(days, 'day')} ${unit(hours, 'hour')}`;
}
