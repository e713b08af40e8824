#!/usr/bin/env node
// Runs the CLI compiled to dist/ (`npm run build`; `npm ci` builds it through
// `prepare`, `npm test` through `pretest`): plain JavaScript starts several
// times faster than compiling src/ with tsx on every run (issue 6).
//
// When dist/ is missing, or a source is newer than its compiled file (src/
// edited, not rebuilt), it runs src/ through tsx instead and says so on
// stderr: slower, but `npx smokestack` never runs an old build. Rebuilding
// here instead was rejected: it needs TypeScript, a dev dependency that a
// production install lacks, write access to the package, and two runs at
// once would race on dist/.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// `smokestack ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const src = fileURLToPath(new URL('../src/', import.meta.url));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** Whether every source under src/ has a compiled file in dist/ at least as new (a few dozen stats). */
function distIsCurrent() {
  let sources;
  try {
    sources = readdirSync(src, { recursive: true });
  } catch {
    sources = []; // shipped without sources: dist/ is all there is
  }
  for (const file of sources) {
    if (!file.endsWith('.ts')) continue;
    const built = statSync(dist + file.replace(/\.ts$/, '.js'), { throwIfNoEntry: false });
    if (!built || built.mtimeMs < statSync(src + file).mtimeMs) return false;
  }
  return statSync(dist + 'client/cli.js', { throwIfNoEntry: false }) !== undefined;
}

if (distIsCurrent()) {
  await import('../dist/client/cli.js');
} else {
  process.stderr.write('smokestack: dist/ is missing or older than src/ (npm run build): running src/ through tsx, slowly\n');
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/client/cli.ts');
}
