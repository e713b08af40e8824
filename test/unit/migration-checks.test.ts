// The migration's preflight rules (src/workflows/migration-checks.ts), pure:
// what refuses a move before anything is touched, and what does not.
import { describe, expect, it } from 'vitest';
import { describeFacts, describeSeconds, DISK_FACTOR, preflightProblems } from '../../src/workflows/migration-checks.ts';
import type { DatabaseFacts } from '../../src/workflows/types.ts';

const MiB = 2 ** 20;

const source = (overrides: Partial<DatabaseFacts> = {}): DatabaseFacts => ({
  environment: 'smokecloud',
  version: '7.0.14',
  authenticationRequired: true,
  dataBytes: 300 * MiB,
  freeBytes: 20_000 * MiB,
  ...overrides,
});

const target = (overrides: Partial<DatabaseFacts> = {}): DatabaseFacts => ({
  environment: 'prod-cloud',
  version: '7.0.14',
  authenticationRequired: true,
  dataBytes: 2 * MiB,
  freeBytes: 20_000 * MiB,
  ...overrides,
});

describe('preflightProblems', () => {
  it('a fit pair (same version, authentication on at both ends, room on the target) has no problem', () => {
    expect(preflightProblems(source(), target())).toEqual([]);
  });

  it('a source on MongoDB 6.0 is refused: upgrade it first', () => {
    const problems = preflightProblems(source({ version: '6.0.13' }), target({ version: '6.0.13' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('smokecloud runs MongoDB 6.0.13');
    expect(problems[0]).toMatch(/upgrade/);
    expect(problems[0]).toContain('7.0');
  });

  it('a source on 4.4 is refused too, and 8.0 (newer than the minimum) is not', () => {
    expect(preflightProblems(source({ version: '4.4.29' }), target({ version: '4.4.29' })).join('\n')).toMatch(/upgrade/);
    expect(preflightProblems(source({ version: '8.0.3' }), target({ version: '8.0.3' }))).toEqual([]);
  });

  it('a source anyone can read without a login is refused, naming `smokestack db users` for it', () => {
    const problems = preflightProblems(source({ authenticationRequired: false }), target());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("smokecloud's database");
    expect(problems[0]).toContain('authentication');
    expect(problems[0]).toContain('`smokestack db users smokecloud`');
  });

  it('a target without authentication is refused, naming the target', () => {
    const problems = preflightProblems(source(), target({ authenticationRequired: false }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("prod-cloud's database");
    expect(problems[0]).toContain('`smokestack db users prod-cloud`');
  });

  it('both ends without authentication: one problem for each', () => {
    const problems = preflightProblems(source({ authenticationRequired: false }), target({ authenticationRequired: false }));
    expect(problems).toHaveLength(2);
    expect(problems.filter((p) => p.includes('smokestack db users smokecloud'))).toHaveLength(1);
    expect(problems.filter((p) => p.includes('smokestack db users prod-cloud'))).toHaveLength(1);
  });

  it('versions that differ in major.minor are refused', () => {
    for (const [from, to] of [
      ['7.0.14', '8.0.3'],
      ['7.0.14', '7.1.0'],
      ['8.0.3', '7.0.14'],
    ] as const) {
      const problems = preflightProblems(source({ version: from }), target({ version: to }));
      expect(problems, `${from} → ${to}`).toHaveLength(1);
      expect(problems[0]).toContain('the versions differ');
      expect(problems[0]).toContain(`smokecloud runs ${from}`);
      expect(problems[0]).toContain(`prod-cloud ${to}`);
    }
  });

  it('the same major.minor with a different patch is allowed (7.0.42 vs 7.0.12)', () => {
    expect(preflightProblems(source({ version: '7.0.42' }), target({ version: '7.0.12' }))).toEqual([]);
    expect(preflightProblems(source({ version: '7.0.12' }), target({ version: '7.0.42' }))).toEqual([]);
  });

  it(`disk: free exactly ${DISK_FACTOR} × the source's data passes, one byte less is refused`, () => {
    const dataBytes = 300 * MiB + 17;
    expect(DISK_FACTOR).toBe(2);
    expect(preflightProblems(source({ dataBytes }), target({ freeBytes: 2 * dataBytes }))).toEqual([]);
    const problems = preflightProblems(source({ dataBytes }), target({ freeBytes: 2 * dataBytes - 1 }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('prod-cloud has');
    expect(problems[0]).toContain('free some disk first');
  });

  it("the disk rule reads the target's free disk, not the source's", () => {
    expect(preflightProblems(source({ freeBytes: 1 }), target())).toEqual([]);
  });

  it('every problem is listed at once, not only the first', () => {
    const problems = preflightProblems(source({ version: '6.0.13', authenticationRequired: false }), target({ version: '7.0.14', authenticationRequired: false, freeBytes: 0 }));
    expect(problems).toHaveLength(5);
  });
});

describe('describeFacts', () => {
  it('says the version, whether authentication is on, and the sizes in MiB', () => {
    expect(describeFacts(source())).toBe('smokecloud: MongoDB 7.0.14, authentication on, 300.0 MiB of documents, 20000.0 MiB free');
    expect(describeFacts(target({ authenticationRequired: false }))).toContain('authentication OFF');
  });
});

describe('describeSeconds', () => {
  it('seconds under a minute as seconds', () => {
    expect(describeSeconds(0)).toBe('0 s');
    expect(describeSeconds(1)).toBe('1 s');
    expect(describeSeconds(59)).toBe('59 s');
  });

  it('a minute and more as minutes and seconds', () => {
    expect(describeSeconds(60)).toBe('1 min 0 s');
    expect(describeSeconds(725)).toBe('12 min 5 s');
    expect(describeSeconds(3_600)).toBe('60 min 0 s');
  });

  it('rounds to the nearest second (59.6 s is a minute), and never says a negative time', () => {
    expect(describeSeconds(12.4)).toBe('12 s');
    expect(describeSeconds(59.6)).toBe('1 min 0 s');
    expect(describeSeconds(-3)).toBe('0 s');
  });
});
