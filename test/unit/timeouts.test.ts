// Every time budget derives from the environment's health timeout: an
// activity's start-to-close must outlast the longest remote command it runs,
// at every health timeout the schema lets a configuration set.
import { describe, expect, it } from 'vitest';
import { configSchema, environmentSchema } from '../../src/config/schema.ts';
import { minimalEnvironment } from '../support/fixtures.ts';
import {
  composeUpTimeoutSeconds,
  CURRENT_HEALTH_GRACE_SECONDS,
  DUMP_TIMEOUT_SECONDS,
  HEALTH_TIMEOUT_SECONDS,
  heartbeatTimeoutSeconds,
  longActivityTimeoutSeconds,
  PULL_TIMEOUT_SECONDS,
  QUICK_ACTIVITY_TIMEOUT_SECONDS,
  RELEASE_TIMEOUT_SECONDS,
} from '../../src/workflows/timeouts.ts';

/** What one health probe may take on the host (the 30 s command timeout of src/activities/host/health.ts). */
const PROBE_SECONDS = 30;

const { min, max } = HEALTH_TIMEOUT_SECONDS;
// The bounds, the default, and values in between, around where compose up outgrows the dump (h + 120 > 1800).
const HEALTH_TIMEOUTS = [...new Set([min, min + 1, 60, HEALTH_TIMEOUT_SECONDS.default, 900, 1680, 1681, 1800, 2400, max - 1, max])];

const environment = (health?: object) => ({ ...minimalEnvironment(), ...(health && { health }) });
const config = (health?: object) => ({ environments: { 'dev-cloud': environment(health) } });

describe('time budgets', () => {
  it('the bounds are sane', () => {
    expect(min).toBeGreaterThan(0);
    expect(HEALTH_TIMEOUT_SECONDS.default).toBeGreaterThanOrEqual(min);
    expect(HEALTH_TIMEOUT_SECONDS.default).toBeLessThanOrEqual(max);
  });

  it.each(HEALTH_TIMEOUTS)('a long activity outlasts every command it runs, health timeout %is', (h) => {
    const long = longActivityTimeoutSeconds(h);
    expect(long, 'compose up').toBeGreaterThan(composeUpTimeoutSeconds(h));
    expect(long, 'pull').toBeGreaterThan(PULL_TIMEOUT_SECONDS);
    expect(long, 'mongodump').toBeGreaterThan(DUMP_TIMEOUT_SECONDS);
    // The health gate polls for h, then its last look runs one more probe.
    expect(long, 'health gate').toBeGreaterThan(h + PROBE_SECONDS);
    // compose up waits for dependencies' health checks, so it gets the health timeout and more.
    expect(composeUpTimeoutSeconds(h), 'compose up vs the health timeout').toBeGreaterThan(h);
  });

  it('a quick activity outlasts a release, and the worst preflight: 60 s of questions, the grace, then one look at every probe', () => {
    expect(QUICK_ACTIVITY_TIMEOUT_SECONDS).toBeGreaterThan(RELEASE_TIMEOUT_SECONDS);
    expect(QUICK_ACTIVITY_TIMEOUT_SECONDS).toBeGreaterThan(2 * PROBE_SECONDS + CURRENT_HEALTH_GRACE_SECONDS + 3 * PROBE_SECONDS);
  });

  it('a heartbeat timeout outlasts the SSH connect an activity makes before its first heartbeat, at every connect timeout the schema allows', () => {
    const connect = environmentSchema.shape.connectTimeoutSeconds;
    for (const seconds of [1, 10, 19, 20, 60, 120]) {
      expect(connect.safeParse(seconds).success, `${seconds} s is allowed`).toBe(true);
      expect(heartbeatTimeoutSeconds(seconds), `connect ${seconds} s`).toBeGreaterThan(seconds);
    }
    expect(connect.safeParse(121).success).toBe(false);
  });
});

describe('the schema takes its health timeout bounds from timeouts.ts', () => {
  const accepts = (timeoutSeconds: number) => ({
    environment: environmentSchema.safeParse(environment({ timeoutSeconds })).success,
    config: configSchema.safeParse(config({ timeoutSeconds })).success,
  });

  it('the minimal environment is valid, and its health timeout defaults to HEALTH_TIMEOUT_SECONDS.default', () => {
    const parsed = configSchema.safeParse(config());
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.environments['dev-cloud']?.health.timeoutSeconds).toBe(HEALTH_TIMEOUT_SECONDS.default);
    expect(environmentSchema.parse(environment({})).health.timeoutSeconds).toBe(HEALTH_TIMEOUT_SECONDS.default);
  });

  it.each([min, HEALTH_TIMEOUT_SECONDS.default, max])('accepts health.timeoutSeconds %i', (h) => {
    expect(accepts(h)).toEqual({ environment: true, config: true });
  });

  it.each([min - 1, max + 1])('refuses health.timeoutSeconds %i', (h) => {
    expect(accepts(h)).toEqual({ environment: false, config: false });
    const issues = environmentSchema.safeParse(environment({ timeoutSeconds: h })).error?.issues ?? [];
    expect(issues.map((i) => i.path.join('.'))).toEqual(['health.timeoutSeconds']);
  });
});
