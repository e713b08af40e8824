// What `smokestack doctor` prints: one line per check, a mark a person can
// scan down (ok, warn, FAIL), the check's name and what was found. Warnings
// are worth reading but never fail the run; one FAIL does.
import { EXIT } from '../client/exit-codes.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckLine {
  status: CheckStatus;
  /** What was checked, e.g. "temporal" or "dev-cloud ssh". */
  name: string;
  detail: string;
}

export const ok = (name: string, detail: string): CheckLine => ({ status: 'ok', name, detail });
export const warn = (name: string, detail: string): CheckLine => ({ status: 'warn', name, detail });
export const fail = (name: string, detail: string): CheckLine => ({ status: 'fail', name, detail });

// FAIL in capitals: the one mark that must catch the eye in a column of oks.
const MARKS: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };
const MARK_WIDTH = 4;
const NAME_WIDTH = 24;

export function renderLine(line: CheckLine): string {
  return `${MARKS[line.status].padEnd(MARK_WIDTH)}  ${line.name.padEnd(NAME_WIDTH)}  ${line.detail}`;
}

/** The worst of some statuses: fail over warn over ok. */
export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  if (statuses.includes('fail')) return 'fail';
  return statuses.includes('warn') ? 'warn' : 'ok';
}

/** Non-zero exactly when a check failed: warnings alone still exit 0. */
export function doctorExitCode(lines: readonly CheckLine[]): number {
  return lines.some((l) => l.status === 'fail') ? EXIT.failed : EXIT.succeeded;
}
