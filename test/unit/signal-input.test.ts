// What the signals' parsers take and refuse (src/workflows/signal-input.ts):
// what our own code sends passes unchanged, anything else is refused with a
// reason, and no input makes them throw. Pure: no Temporal server.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeGiven,
  GIVEN_SHOWN,
  kindOf,
  noRefusals,
  noteRefusal,
  parseLockRequest,
  parseLockWaiting,
  parseNotice,
  parseToken,
  REFUSALS_KEPT,
  type Parsed,
} from '../../src/workflows/signal-input.ts';
import type { LockHolder, LockRequest, LockWaiting, Notice, NoticeKind } from '../../src/workflows/types.ts';

const REQUEST: LockRequest = {
  environment: 'prod-cloud',
  token: '5b0f2c9e-51b8-4c3a-9a57-3f5b2e0c8d11',
  workflowId: 'deploy-prod-cloud',
  runId: '01a253a9-b05c-761b-91d2-c4d2279b8f84',
  purpose: 'deploy v2, requested by alice',
  requestedAt: 1_790_000_000_000,
};
const HOLDER: LockHolder = { ...REQUEST, token: 'a8c1d3f4-0000-4000-8000-000000000001', grantedAt: 1_790_000_001_000 };
const NOTICE: Notice = {
  kind: 'succeeded',
  environment: 'prod-cloud',
  version: 'v2',
  run: { workflowId: 'deploy-prod-cloud', runId: REQUEST.runId },
  requestedBy: 'alice',
  durationSeconds: 42,
  previousVersion: 'v1',
  smoke: [{ name: 'frontend page', passed: true, detail: 'GET :80/ answered 200' }],
};
const KINDS: NoticeKind[] = ['started', 'succeeded', 'failed'];

const why = <T>(parsed: Parsed<T>): string => {
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed.value)}`);
  return parsed.why;
};
const value = <T>(parsed: Parsed<T>): T => {
  if (!parsed.ok) throw new Error(`expected a value, got: ${parsed.why}`);
  return parsed.value;
};

describe('parseLockRequest', () => {
  it('takes the request the lock helper sends, as it is', () => {
    expect(value(parseLockRequest(REQUEST))).toEqual(REQUEST);
    // Its JSON too, key for key (the lock publishes its queue as JSON).
    expect(JSON.stringify(value(parseLockRequest(JSON.parse(JSON.stringify(REQUEST)))))).toBe(JSON.stringify(REQUEST));
  });

  it('refuses what is not an object', () => {
    expect(why(parseLockRequest(null))).toBe('expected a lock request (an object), got null');
    expect(why(parseLockRequest(undefined))).toBe('expected a lock request (an object), got nothing');
    expect(why(parseLockRequest([REQUEST]))).toBe('expected a lock request (an object), got an array');
    expect(why(parseLockRequest('deploy'))).toBe('expected a lock request (an object), got a string');
  });

  it('names the first field that is wrong, and what it got', () => {
    expect(why(parseLockRequest({ ...REQUEST, token: 7 }))).toBe('token: expected a string of 1 to 200 characters, got a number');
    expect(why(parseLockRequest({ ...REQUEST, workflowId: '' }))).toBe('workflowId: expected a string of 1 to 1000 characters, got 0 characters');
    expect(why(parseLockRequest({ ...REQUEST, requestedAt: '2026-01-01' }))).toBe('requestedAt: expected a time (ms since the epoch), got a string');
    const { purpose: _purpose, ...withoutPurpose } = REQUEST;
    expect(why(parseLockRequest(withoutPurpose))).toBe('purpose: expected a string of 0 to 1000 characters, got nothing');
  });

  it('refuses a run ID the server would refuse to signal (the lock would be wedged)', () => {
    expect(why(parseLockRequest({ ...REQUEST, runId: 'not-a-run' }))).toBe('runId: expected a run ID (a UUID), got 9 characters');
  });

  it('refuses a workflow ID or purpose longer than Temporal takes', () => {
    expect(why(parseLockRequest({ ...REQUEST, workflowId: 'w'.repeat(1001) }))).toMatch(/^workflowId: .* got 1001 characters$/);
    expect(why(parseLockRequest({ ...REQUEST, purpose: 'p'.repeat(1_000_000) }))).toMatch(/^purpose: /);
  });

  it('refuses a time no Date can show', () => {
    expect(why(parseLockRequest({ ...REQUEST, requestedAt: 1e300 }))).toMatch(/^requestedAt: /);
  });

  it('keeps only the keys of a request: anything else sent along is dropped', () => {
    expect(value(parseLockRequest({ ...REQUEST, junk: 'x'.repeat(10_000), __proto__: { token: 'inherited' } }))).toEqual(REQUEST);
  });

  it('reads own keys only: a key found on the prototype is not there', () => {
    const inherited = Object.create({ ...REQUEST }) as object;
    expect(why(parseLockRequest(inherited))).toBe('environment: expected a string of 1 to 200 characters, got nothing');
  });
});

describe('parseToken', () => {
  it('takes a token', () => {
    expect(value(parseToken(REQUEST.token))).toBe(REQUEST.token);
  });

  it('refuses anything else', () => {
    expect(why(parseToken({ token: REQUEST.token }))).toBe('expected a lock token: expected a string of 1 to 200 characters, got an object');
    expect(why(parseToken(''))).toMatch(/got 0 characters$/);
    expect(why(parseToken(undefined))).toMatch(/got nothing$/);
  });
});

describe('parseLockWaiting', () => {
  it('takes what the lock tells a waiting run, with and without a holder', () => {
    const waiting: LockWaiting = { token: REQUEST.token, holder: HOLDER, ahead: 2 };
    expect(value(parseLockWaiting(waiting))).toEqual(waiting);
    // The lock sends `holder: undefined` when it is free: absent in JSON.
    expect(value(parseLockWaiting(JSON.parse(JSON.stringify({ token: REQUEST.token, holder: undefined, ahead: 0 }))))).toEqual({ token: REQUEST.token, ahead: 0 });
    expect(value(parseLockWaiting({ token: REQUEST.token, holder: null, ahead: 0 }))).toEqual({ token: REQUEST.token, ahead: 0 });
  });

  it('refuses null (destructuring it threw, and wedged the run)', () => {
    expect(why(parseLockWaiting(null))).toBe('expected news of a lock (token, holder, ahead) (an object), got null');
  });

  it('refuses a holder that would not render, and a place that is not a count', () => {
    expect(why(parseLockWaiting({ token: REQUEST.token, holder: 5, ahead: 0 }))).toBe('holder: expected a lock holder (an object), got a number');
    expect(why(parseLockWaiting({ token: REQUEST.token, holder: { ...HOLDER, grantedAt: undefined }, ahead: 0 }))).toMatch(/^holder: grantedAt: /);
    expect(why(parseLockWaiting({ token: REQUEST.token, ahead: -1 }))).toBe('ahead: expected a count (0, 1, 2…), got a number');
    expect(why(parseLockWaiting({ token: REQUEST.token, ahead: 1.5 }))).toMatch(/^ahead: /);
    expect(why(parseLockWaiting({ token: REQUEST.token, ahead: '1' }))).toBe('ahead: expected a count (0, 1, 2…), got a string');
  });
});

describe('parseNotice', () => {
  it('takes a notice our runs send, as it is', () => {
    expect(value(parseNotice(NOTICE, KINDS))).toEqual(NOTICE);
    const minimal: Notice = { kind: 'started', environment: 'dev', version: '', run: { workflowId: 'w', runId: 'r' } };
    expect(value(parseNotice(minimal, KINDS))).toEqual(minimal);
  });

  it('takes null for an optional field as its absence', () => {
    expect(value(parseNotice({ ...NOTICE, previousVersion: null, smoke: null }, KINDS))).toEqual({ ...NOTICE, previousVersion: undefined, smoke: undefined });
  });

  it('refuses a kind it does not know, so that no unknown kind reaches rendering', () => {
    expect(why(parseNotice({ ...NOTICE, kind: 'exploded' }, KINDS))).toBe('kind: expected a kind of notice, got "exploded"');
    expect(why(parseNotice({ ...NOTICE, kind: 'toString' }, KINDS))).toMatch(/^kind: /);
    expect(why(parseNotice({ ...NOTICE, kind: 3 }, KINDS))).toBe('kind: expected a kind of notice, got a number');
  });

  it('refuses fields rendering would trip on', () => {
    // A template literal of { toString: 1 } throws: the notifier rendered its summary from these.
    expect(why(parseNotice({ ...NOTICE, environment: { toString: 1 } }, KINDS))).toMatch(/^environment: /);
    expect(why(parseNotice({ ...NOTICE, run: null }, KINDS))).toMatch(/^run: expected the run it is about/);
    expect(why(parseNotice({ ...NOTICE, reason: ['no'] }, KINDS))).toBe('reason: expected a string, got an array');
    expect(why(parseNotice({ ...NOTICE, durationSeconds: '42' }, KINDS))).toBe('durationSeconds: expected a number, got a string');
    expect(why(parseNotice({ ...NOTICE, smoke: [{ name: 'x', passed: 'yes', detail: '' }] }, KINDS))).toBe('smoke: [0]: passed: expected true or false, got a string');
    expect(why(parseNotice({ ...NOTICE, version: 'v'.repeat(201) }, KINDS))).toMatch(/^version: /);
  });
});

describe('refusals', () => {
  it('keep the newest REFUSALS_KEPT and count them all', () => {
    const refused = noRefusals();
    for (let i = 0; i < REFUSALS_KEPT + 7; i++) noteRefusal(refused, { signal: 'notice', at: i, why: `#${i}`, given: 'null' });
    expect(refused.total).toBe(REFUSALS_KEPT + 7);
    expect(refused.newest).toHaveLength(REFUSALS_KEPT);
    expect(refused.newest[0]!.why).toBe('#7');
    expect(refused.newest.at(-1)!.why).toBe(`#${REFUSALS_KEPT + 6}`);
  });

  it('show what was sent as JSON, cut short', () => {
    expect(describeGiven({ by: 1 })).toBe('{"by":1}');
    expect(describeGiven(undefined)).toBe('nothing');
    const huge = describeGiven('x'.repeat(1_000_000));
    expect(huge).toHaveLength(GIVEN_SHOWN);
    expect(huge.endsWith('…')).toBe(true);
    expect(describeGiven(10n)).toBe('a bigint');
  });

  it('say what a value is', () => {
    expect([null, undefined, [], {}, 1, 's', true].map(kindOf)).toEqual(['null', 'nothing', 'an array', 'an object', 'a number', 'a string', 'a boolean']);
  });
});

describe('no input makes a parser throw', () => {
  it('any JSON value, and any object with the right keys holding anything', () => {
    const anything = fc.jsonValue();
    const shaped = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), anything);
    const parsers: [string, (v: unknown) => Parsed<unknown>, string[]][] = [
      ['lock request', parseLockRequest, Object.keys(REQUEST)],
      ['token', parseToken, []],
      ['lock waiting', parseLockWaiting, ['token', 'holder', 'ahead']],
      ['notice', (v) => parseNotice(v, KINDS), [...Object.keys(NOTICE), 'reason', 'logTail', 'details']],
    ];
    for (const [, parse, keys] of parsers) {
      fc.assert(
        fc.property(keys.length ? fc.oneof(anything, shaped(keys)) : anything, (v) => {
          const parsed = parse(v);
          return parsed.ok ? parsed.value !== undefined : typeof parsed.why === 'string' && parsed.why.length > 0;
        }),
        { numRuns: 300 },
      );
    }
  });
});
