// A signed change request is used once. The worker records each one it
// accepts in its state directory, under the signature's hash, with the run
// that used it: the same run asking again (a retried step) passes, any other
// run is refused as a replay. A request lives 15 minutes, so a record older
// than two days is of no more use and is removed.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEEP_MS = 2 * 86_400_000;

/** Records that `usedBy` uses this signature; the run that used it before, when another one did. */
export function claimSignature(stateDir: string, signature: string, usedBy: string): { ok: true } | { ok: false; usedBy: string } {
  const dir = join(stateDir, 'used-requests');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, createHash('sha256').update(signature).digest('hex'));
  try {
    writeFileSync(file, usedBy, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const before = readFileSync(file, 'utf8');
    if (before !== usedBy) return { ok: false, usedBy: before };
  }
  forgetOld(dir);
  return { ok: true };
}

function forgetOld(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > KEEP_MS) unlinkSync(path);
    } catch {
      // removed meanwhile by another run: nothing to do
    }
  }
}
