// The ops files (ops/prometheus, ops/grafana) as the tests read them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './paths.ts';

export const RULES = 'ops/prometheus/alerts.yml';
export const DASHBOARD = 'ops/grafana/smokestack.json';

export interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export const alertRules = (): Rule[] => (parse(readFileSync(join(REPO_ROOT, RULES), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

export const dashboard = () =>
  JSON.parse(readFileSync(join(REPO_ROOT, DASHBOARD), 'utf8')) as { __inputs: unknown[]; panels: { type: string; title: string; datasource?: unknown; targets?: { expr: string }[] }[] };

export const dashboardExprs = (): string[] => dashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** The metric names the rules and the dashboard query whose names start with `prefix` (histogram series by their base name). */
export function namesInOps(prefix: 'smokestack_' | 'temporal_', base = false): string[] {
  const exprs = [...alertRules().map((r) => r.expr), ...dashboardExprs()];
  const names = exprs.flatMap((e) => [...e.matchAll(new RegExp(`\\b${prefix}[a-z_]+`, 'g'))].map((m) => m[0]));
  return [...new Set(base ? names.map((n) => n.replace(/_(bucket|sum|count)$/, '')) : names)];
}
