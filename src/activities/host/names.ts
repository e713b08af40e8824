// Names read from a host (a directory's entries, a manifest's id) are input:
// whoever can write on that host chose them. Each is checked here before it
// becomes part of a path, here or on the host: a name with a `/` or `..`
// reaches outside its directory, and a newline turns one name into several
// in any line-based listing. Nothing of a refused name is used, and it is
// shown only escaped.
import { posix } from 'node:path';

/** Longer than any file name a Linux filesystem holds. */
const MAX_NAME = 255;
// C0 and C1 controls, DEL, and U+FFFD (bytes that were not UTF-8).
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ufffd]/;

/** Why `name` is no plain file name of one directory, or undefined when it is one. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'an empty name';
  if (name.length > MAX_NAME) return `a name of ${name.length} characters`;
  if (name.includes('/')) return 'a name with "/"';
  if (name.includes('..')) return 'a name with ".."';
  if (name === '.') return 'the name "."';
  if (UNPRINTABLE.test(name)) return 'a name with a control character or bytes that are not UTF-8';
  return undefined;
}

/** `dir/name`, for a name that passed nameProblem; anything else throws (a caller that did not check is a bug). */
export function childPath(dir: string, name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new Error(`refusing ${shownName(name)} as a file name in ${dir}: ${problem}`);
  return posix.join(dir, name);
}

/** A name as it may be printed, logged or sent: quoted, every control character escaped, at most 100 characters. */
export function shownName(name: string): string {
  const cut = name.length > 100 ? `${name.slice(0, 100)}…` : name;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One entry of a directory listing (commands/files.ts listEntries). */
export interface DirEntry {
  name: string;
  /** find's %y: f a regular file, d a directory, l a symbolic link, … */
  type: string;
  /** Modification time: seconds and nanoseconds, as find prints them, for ordering. */
  mtime: bigint;
}

/**
 * listEntries' output (`%y %T@ %f\0` for each entry): the entries whose
 * names pass nameProblem, newest first (equal times by name, as `ls -t`),
 * and the others with why. NUL ends each entry, so a name with a newline
 * is one name, and refused.
 */
export function parseEntries(output: string): { entries: DirEntry[]; refused: { name: string; why: string }[] } {
  const entries: DirEntry[] = [];
  const refused: { name: string; why: string }[] = [];
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const m = /^(\S) (\d+)(?:\.(\d+))? ([\s\S]*)$/.exec(record);
    if (!m) {
      refused.push({ name: shownName(record), why: 'a listing line that is not "type time name"' });
      continue;
    }
    const [, type, seconds, fraction = '', name] = m as unknown as [string, string, string, string | undefined, string];
    const problem = nameProblem(name);
    if (problem) {
      refused.push({ name: shownName(name), why: problem });
      continue;
    }
    entries.push({ name, type, mtime: BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9)) });
  }
  entries.sort((a, b) => (a.mtime !== b.mtime ? (a.mtime > b.mtime ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, refused };
}
