// What a signal carries, parsed like a CLI argument. Signals are input from
// people typing into the Web UI ("Send a Signal", `temporal workflow
// signal`) as much as from our own code: any JSON may arrive, or nothing.
// Each handler parses what it is given here and refuses what is not of its
// shape, with a reason: a handler that throws fails its workflow task on
// every retry, and the run is wedged. Pure and deterministic: no I/O, no
// clock; usable in the workflow sandbox.
import type { LockHolder, LockRequest, LockWaiting, Notice, NoticeKind, SmokeTestResult } from './types.ts';

/** The value, or why it is refused. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (why: string): { ok: false; why: string } => ({ ok: false, why });

/** The longest name, purpose or ID a signal may carry: Temporal's own limit on a workflow ID. */
export const MAX_TEXT = 1000;
/** The longest token, environment or version: short names all, shown in summaries and lines. */
export const MAX_NAME = 200;
/** The furthest a JavaScript Date reaches from the epoch, either way (ms): a time beyond it cannot be shown. */
const MAX_TIME = 8.64e15;
/** A Temporal run ID: a UUID. The server refuses to signal a run by anything else (the workflow task fails). */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a value is, in a refusal: "null", "an array", "a number", "nothing". */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// ---- Fields: each one parses one value ----

type Field<T> = (value: unknown) => Parsed<T>;
/** One field per key, optional keys included: a shape names every key it takes. */
type Shape<T> = { [K in keyof T]-?: Field<T[K]> };

/** A string of `min` to `max` characters. */
const text = (max: number, min = 1): Field<string> => {
  const what = max === Infinity ? (min > 0 ? 'a string that is not empty' : 'a string') : `a string of ${min} to ${max} characters`;
  return (v) => (typeof v === 'string' && v.length >= min && v.length <= max ? ok(v) : no(`expected ${what}, got ${describeLength(v)}`));
};

const describeLength = (v: unknown): string => (typeof v === 'string' ? `${v.length} characters` : kindOf(v));

/** A time in ms since the epoch, as Date.now() gives it. */
const time: Field<number> = (v) =>
  typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_TIME ? ok(v) : no(`expected a time (ms since the epoch), got ${kindOf(v)}`);

/** A count: 0, 1, 2… */
const count: Field<number> = (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? ok(v) : no(`expected a count (0, 1, 2…), got ${kindOf(v)}`));

const finite: Field<number> = (v) => (typeof v === 'number' && Number.isFinite(v) ? ok(v) : no(`expected a number, got ${kindOf(v)}`));

const boolean: Field<boolean> = (v) => (typeof v === 'boolean' ? ok(v) : no(`expected true or false, got ${kindOf(v)}`));

const runId: Field<string> = (v) => (typeof v === 'string' && RUN_ID.test(v) ? ok(v) : no(`expected a run ID (a UUID), got ${describeLength(v)}`));

/** Absent: nothing, or null (JSON's way of saying nothing). */
const optional =
  <T>(field: Field<T>): Field<T | undefined> =>
  (v) =>
    v === undefined || v === null ? ok(undefined) : field(v);

const oneOf =
  <T extends string>(values: readonly T[], what: string): Field<T> =>
  (v) =>
    typeof v === 'string' && values.includes(v as T) ? ok(v as T) : no(`expected ${what}, got ${typeof v === 'string' ? `"${v.slice(0, 40)}"` : kindOf(v)}`);

const list =
  <T>(item: Field<T>): Field<T[]> =>
  (v) => {
    if (!Array.isArray(v)) return no(`expected a list, got ${kindOf(v)}`);
    const items: T[] = [];
    for (const [i, each] of v.entries()) {
      const parsed = item(each);
      if (!parsed.ok) return no(`[${i}]: ${parsed.why}`);
      items.push(parsed.value);
    }
    return ok(items);
  };

/**
 * An object of this shape: a new one, with only the shape's keys (in the
 * shape's order) and absent ones left out. Keys it does not name are dropped.
 */
const object =
  <T>(what: string, shape: Shape<T>): Field<T> =>
  (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return no(`expected ${what} (an object), got ${kindOf(v)}`);
    const given = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape) as (keyof T & string)[]) {
      // Own keys only: "toString" or "__proto__" must not be read from the prototype.
      const parsed = shape[key](Object.hasOwn(given, key) ? given[key] : undefined);
      if (!parsed.ok) return no(`${key}: ${parsed.why}`);
      if (parsed.value !== undefined) out[key] = parsed.value;
    }
    return ok(out as T);
  };

// ---- The environment lock's signals ----

const lockRequest: Shape<LockRequest> = {
  environment: text(MAX_NAME),
  token: text(MAX_NAME),
  workflowId: text(MAX_TEXT),
  runId,
  purpose: text(MAX_TEXT, 0),
  requestedAt: time,
};

const lockHolder = object<LockHolder>('a lock holder', { ...lockRequest, grantedAt: time });

/** `lock-request`: a run asking for the lock. */
export const parseLockRequest: Field<LockRequest> = object<LockRequest>('a lock request', lockRequest);

/** `lock-release` and `lock-granted`: a request's token. */
export const parseToken: Field<string> = (v) => {
  const parsed = text(MAX_NAME)(v);
  return parsed.ok ? parsed : no(`expected a lock token: ${parsed.why}`);
};

/** `lock-waiting`: who holds the lock, and how many wait ahead. */
export const parseLockWaiting: Field<LockWaiting> = object<LockWaiting>('news of a lock (token, holder, ahead)', {
  token: text(MAX_NAME),
  holder: optional(lockHolder),
  ahead: count,
});

// ---- Notices ----

const smokeResult = object<SmokeTestResult>('a smoke test result', { name: text(MAX_TEXT, 0), passed: boolean, detail: text(Infinity, 0) });

/**
 * `notice`: a notice for people, of one of `kinds`. Every field of the type
 * it renders from, so that a notice taken here renders later. Free text
 * (reason, log tail, details) has no limit: Discord's rendering cuts it.
 */
export function parseNotice(value: unknown, kinds: readonly NoticeKind[]): Parsed<Notice> {
  const anyText = optional(text(Infinity, 0));
  return object<Notice>('a notice', {
    kind: oneOf(kinds, 'a kind of notice'),
    environment: text(MAX_NAME, 0),
    version: text(MAX_NAME, 0),
    run: object('the run it is about (workflowId, runId)', { workflowId: text(MAX_TEXT, 0), runId: text(MAX_NAME, 0) }),
    durationSeconds: optional(finite),
    requestedBy: anyText,
    reason: anyText,
    failedService: anyText,
    logTail: anyText,
    previousVersion: anyText,
    approveCommand: anyText,
    decidedBy: anyText,
    devices: anyText,
    details: anyText,
    smoke: optional(list(smokeResult)),
  })(value);
}

// ---- What a run refused ----

/** A signal a run refused: its input was not of the shape it takes. */
export interface RefusedInput {
  /** The signal's name. */
  signal: string;
  /** When it arrived (the workflow's clock). */
  at: number;
  why: string;
  /** What was sent, as JSON, cut to GIVEN_SHOWN characters. */
  given: string;
}

/** A run's refused input: the newest REFUSALS_KEPT, and how many in all. */
export interface RefusedInputs {
  total: number;
  newest: RefusedInput[];
}

export const REFUSALS_KEPT = 50;
export const GIVEN_SHOWN = 200;

export const noRefusals = (): RefusedInputs => ({ total: 0, newest: [] });

/** Counts the refusal and keeps it, dropping the oldest beyond REFUSALS_KEPT. */
export function noteRefusal(refused: RefusedInputs, entry: RefusedInput): void {
  refused.total++;
  refused.newest.push(entry);
  if (refused.newest.length > REFUSALS_KEPT) refused.newest.splice(0, refused.newest.length - REFUSALS_KEPT);
}

/** What was sent, to recognise it by: its JSON, cut short (a huge string must not grow the run's state). */
export function describeGiven(value: unknown): string {
  if (value === undefined) return 'nothing';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // Not JSON (a signal's payload always is): say what it is.
  }
  const shown = json ?? kindOf(value);
  return shown.length <= GIVEN_SHOWN ? shown : `${shown.slice(0, GIVEN_SHOWN - 1)}…`;
}
