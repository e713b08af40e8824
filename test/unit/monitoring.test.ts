// The alert rules and the Grafana dashboard in ops/: they name only metrics
// the worker exports, the alerts an operator relies on are there with their
// thresholds, and promtool (built by the lab's tools) checks the rules and
// proves with alerts.test.yml that they fire when they should.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKUP_LAST_SUCCESS, BACKUP_LAST_VALIDATED, BACKUPS_IN_STORE } from '../../src/metrics/backups.ts';
import { PROMOTION_AWAITING_APPROVAL } from '../../src/metrics/promotions.ts';
import { SOURCE_UP } from '../../src/metrics/server.ts';
import { RUNBOOK_DURATION, RUNBOOK_OUTCOMES } from '../../src/workflows/runbook-metrics.ts';
import { alertRules, dashboard, namesInOps } from '../support/monitoring.ts';
import { LAB_CACHE, REPO_ROOT } from '../support/paths.ts';

const promtool = join(LAB_CACHE, 'bin', 'promtool');
const rules = alertRules;

/** Every smokestack_ series the worker's page has. */
const EXPORTED = new Set([
  RUNBOOK_OUTCOMES,
  ...['_bucket', '_sum', '_count'].map((s) => RUNBOOK_DURATION + s),
  BACKUP_LAST_SUCCESS,
  BACKUP_LAST_VALIDATED,
  BACKUPS_IN_STORE,
  PROMOTION_AWAITING_APPROVAL,
  SOURCE_UP,
]);

function run(...args: string[]) {
  if (!existsSync(promtool)) throw new Error(`no promtool at ${promtool}: run npm run lab:up (or bash lab/unit-tools.sh) first`);
  return spawnSync(promtool, args, { cwd: join(REPO_ROOT, 'ops/prometheus'), encoding: 'utf8' });
}

describe('alert rules', () => {
  it('has the alerts an operator relies on, on the right metrics and thresholds', () => {
    const byName = new Map(rules().map((r) => [r.alert, r]));
    const expr = (name: string) => byName.get(name)?.expr.replace(/\s+/g, ' ') ?? `(no alert ${name})`;
    expect(expr('SmokestackBackupMissing')).toBe(`time() - ${BACKUP_LAST_SUCCESS} > 26 * 3600`);
    expect(expr('SmokestackBackupNotValidated')).toBe(`time() - ${BACKUP_LAST_VALIDATED} > 8 * 86400`);
    expect(expr('SmokestackRollbackFailed')).toContain(`increase(${RUNBOOK_OUTCOMES}{outcome="rollback-failed"}[1h]) > 0`);
    expect(expr('SmokestackPromotionAwaitingApproval')).toBe(`time() - ${PROMOTION_AWAITING_APPROVAL} > 48 * 3600`);
    expect(expr('SmokestackWorkerDown')).toContain('up{job="smokestack-worker"} == 0');
    expect(expr('SmokestackWorkerNotPolling')).toContain('temporal_num_pollers');
    expect(expr('SmokestackMetricsSourceFailing')).toBe(`${SOURCE_UP} == 0`);
  });

  it('every rule says how bad it is and what happened', () => {
    for (const r of rules()) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
  });

  it('the rules and the dashboard name only smokestack metrics the worker exports', () => {
    const named = namesInOps('smokestack_');
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((n) => !EXPORTED.has(n))).toEqual([]);
  });

  it('pass promtool check rules', () => {
    const r = run('check', 'rules', 'alerts.yml');
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('fire when they should and not before (promtool test rules)', () => {
    const r = run('test', 'rules', 'alerts.test.yml');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
  });
});

describe('the Grafana dashboard', () => {
  it('imports with a Prometheus data source of your choice, every query on it', () => {
    const { __inputs, panels: all } = dashboard();
    expect(__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const panels = all.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(8);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      for (const t of p.targets ?? []) expect(t.expr, p.title).toContain('job="$job"');
    }
  });
});

