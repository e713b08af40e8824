// The failure contract (src/workflows/failures.ts): which failure types a
// retry cannot help, how a failure is built, and how workflows read one back.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  failure,
  failureTypeOf,
  messageOf,
  NOT_WORTH_RETRYING,
  REFUSED_BEFORE_CHANGE,
  unhealthyFailure,
  unhealthyServiceOf,
  type FailureType,
} from '../../src/workflows/failures.ts';
import { REPO_ROOT } from '../support/paths.ts';

const SOURCE = 'src/workflows/failures.ts';

/** The contract as written in the source: type -> 'final' | 'retry'. */
function contract(): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, SOURCE), 'utf8');
  const block = text.match(/const CONTRACT = \{([\s\S]*?)\n\}/)?.[1];
  if (!block) throw new Error(`${SOURCE}: no \`const CONTRACT = { ... }\` found; update this test's parser`);
  const entries = [...block.matchAll(/^\s*(\w+): '(final|retry)',/gm)].map((m) => [m[1]!, m[2]!]);
  return Object.fromEntries(entries);
}
const CONTRACT = contract();
const TYPES = Object.keys(CONTRACT) as FailureType[];

/** What an activity's failure looks like in the workflow: an ActivityFailure around the activity's own error. */
const fromActivity = (cause: Error) =>
  new ActivityFailure('Activity task failed', 'healthGate', '7', RetryState.NON_RETRYABLE_FAILURE, 'worker@host', cause);

describe('the failure contract', () => {
  it('is read from the source', () => {
    expect(TYPES.length).toBeGreaterThan(10);
    expect(CONTRACT).toMatchObject({ HealthGateFailed: 'final', HostUnreachable: 'retry' });
  });

  it('NOT_WORTH_RETRYING holds exactly the final types', () => {
    const finals = TYPES.filter((t) => CONTRACT[t] === 'final');
    expect([...NOT_WORTH_RETRYING].sort()).toEqual(finals.sort());
    expect(NOT_WORTH_RETRYING).toEqual(expect.arrayContaining(['HealthGateFailed', 'ImageNotFound', 'HostKeyMismatch']));
    for (const t of ['HostUnreachable', 'BackupFailed', 'NoticeNotSent']) expect(NOT_WORTH_RETRYING, t).not.toContain(t);
  });

  it('a refusal before any change is final', () => {
    for (const t of REFUSED_BEFORE_CHANGE) expect(NOT_WORTH_RETRYING, t).toContain(t);
  });

  it.each(TYPES)('failure(%s) is an ApplicationFailure of that type, retryable as the contract says', (type) => {
    const f = failure(type, 'it broke', { why: 'test' });
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe(type);
    expect(f.message).toBe('it broke');
    expect(f.nonRetryable).toBe(CONTRACT[type] === 'final');
    expect(f.details).toEqual([{ why: 'test' }]);
    expect(failure(type, 'no details').details ?? []).toEqual([]);
  });
});

describe('reading a failure back', () => {
  const unhealthy = unhealthyFailure('HealthGateFailed', 'backend (GET /ready -> 503): not healthy within 300s', {
    unhealthy: [
      { service: 'backend', container: 'backend_cloud', healthy: false, detail: 'GET /ready -> 503' },
      { service: 'frontend', container: 'frontend_cloud', healthy: false, detail: 'container exited' },
    ],
    logs: { backend: 'listening\nMongoServerError: auth failed', frontend: 'bye' },
  });

  it('unhealthyServiceOf gives the first unhealthy service and its logs, from an activity failure', () => {
    expect(unhealthyServiceOf(fromActivity(unhealthy))).toEqual({ service: 'backend', logs: 'listening\nMongoServerError: auth failed' });
    const start = unhealthyFailure('StartFailed', 'compose up failed', {
      unhealthy: [{ service: 'mongo', container: 'mongo', healthy: false, detail: 'container exited' }],
      logs: {},
    });
    expect(unhealthyServiceOf(fromActivity(start))).toEqual({ service: 'mongo', logs: undefined });
  });

  it('unhealthyServiceOf gives nothing for other failures', () => {
    expect(unhealthyServiceOf(unhealthy), 'not wrapped by an activity failure').toBeUndefined();
    expect(unhealthyServiceOf(fromActivity(failure('ImageNotFound', 'no such tag')))).toBeUndefined();
    expect(unhealthyServiceOf(fromActivity(new Error('plain')))).toBeUndefined();
    expect(unhealthyServiceOf(undefined)).toBeUndefined();
  });

  it('failureTypeOf and messageOf give the innermost type and message of a chain', () => {
    const inner = failure('HostUnreachable', 'connect ECONNREFUSED 127.0.0.1:2222');
    const outer = ApplicationFailure.create({ type: 'DeployFailed', message: 'deploy failed', cause: fromActivity(inner) });
    expect(failureTypeOf(outer)).toBe('HostUnreachable');
    expect(messageOf(outer)).toBe('connect ECONNREFUSED 127.0.0.1:2222');
    expect(failureTypeOf(fromActivity(unhealthy))).toBe('HealthGateFailed');
    // An untyped innermost cause: the innermost typed failure, and the innermost message.
    const plain = fromActivity(new Error('socket hang up'));
    expect(failureTypeOf(plain)).toBeUndefined();
    expect(messageOf(plain)).toBe('socket hang up');
    expect(messageOf('just a string')).toBe('just a string');
  });
});

describe('every failure raised in src/ is a type of the contract', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  // failure('Type', ...) and unhealthyFailure('Type', ...), the first argument a string literal.
  const calls = files(join(REPO_ROOT, 'src')).flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(/\b(failure|unhealthyFailure)\(\s*(['"`])(\w*)\2/g)].map(
      (m) => ({ where: `${relative(REPO_ROOT, path)}: ${m[0]}`, type: m[3]! }),
    ),
  );

  it('finds the calls', () => {
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.some((c) => c.where.includes('unhealthyFailure(')), 'an unhealthyFailure( call').toBe(true);
  });

  it('each names a type of the contract', () => {
    expect(calls.filter((c) => !(c.type in CONTRACT)).map((c) => c.where)).toEqual([]);
  });
});
