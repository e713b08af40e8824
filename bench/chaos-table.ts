// What `npm run chaos` reports: one row per disturbed run.

export interface ChaosRow {
  scenario: string;
  /** Its place among its scenario's rows (a step's place in the runbook), when they finish out of order. */
  order?: number;
  /** Where it was hit: the step running when the kill or cut landed. */
  hit: string;
  outcome: string;
  /** The end state judged from the host, not from smokestack's word. */
  correct: boolean;
  seconds: number;
  /** Its time less an undisturbed run's of the same kind on the same host. */
  lostSeconds?: number;
  note: string;
}

/** The scenarios in the table's order; anything else (a setting that failed) comes last. */
const SCENARIO_ORDER = ['server killed', 'worker killed (deploy)', 'worker killed (rollback)', 'host cut off (deploy)', 'host cut off (restore)'];
function rank(row: ChaosRow): number {
  const i = SCENARIO_ORDER.indexOf(row.scenario);
  return i < 0 ? SCENARIO_ORDER.length : i;
}

export function printTable(unordered: ChaosRow[]): void {
  const rows = [...unordered].sort((a, b) => rank(a) - rank(b) || (a.order ?? 0) - (b.order ?? 0));
  const head = ['scenario', 'hit', 'outcome', 'end state', 'time', 'lost', 'note'];
  const cells = rows.map((r) => [
    r.scenario,
    r.hit,
    r.outcome,
    r.correct ? 'correct' : 'INCORRECT',
    `${r.seconds.toFixed(1)} s`,
    r.lostSeconds === undefined ? '-' : `${r.lostSeconds >= 0 ? '+' : ''}${r.lostSeconds.toFixed(1)} s`,
    r.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}
