// npm run bench:cli: how long `smokestack --help` takes to start (issue 6),
// side by side in one run, rounds interleaved so that load on the machine
// falls on every way alike:
//   compiled: node bin/smokestack.js --help (runs dist/);
//   tsx:      node --import tsx src/client/cli.ts --help, the way bin/ ran it
//             before (today's src/ though, which already loads lazily);
//   npx:      npx smokestack --help, as CI and the README call it;
//   node:     node -e 0, the floor: Node starting and doing nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../test/support/paths.ts';
import { fmt, median } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

const ways = {
  compiled: [process.execPath, 'bin/smokestack.js', '--help'],
  tsx: [process.execPath, '--import', 'tsx', 'src/client/cli.ts', '--help'],
  npx: ['npx', 'smokestack', '--help'],
  node: [process.execPath, '-e', '0'],
} as const;
type Way = keyof typeof ways;

/** Runs one start; refuses a run that failed or that did not run what it claims to. */
function start(way: Way): number {
  const [command, ...args] = ways[way];
  const t0 = performance.now();
  const r = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 || (way !== 'node' && !r.stdout.includes('Usage: smokestack'))) {
    throw new Error(`${ways[way].join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  }
  // Its only stderr is the note that it fell back to tsx: that start would not be the compiled one.
  if (way === 'compiled' && r.stderr !== '') throw new Error(`bin/smokestack.js did not run dist/ (src/ changed?): ${r.stderr}`);
  return seconds;
}

if (spawnSync(process.execPath, ['bin/smokestack.js', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' }).stderr !== '') {
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

const times: Record<Way, number[]> = { compiled: [], tsx: [], npx: [], node: [] };
for (const way of Object.keys(ways) as Way[]) start(way); // warm the file cache
for (let round = 0; round < ROUNDS; round++) {
  for (const way of Object.keys(ways) as Way[]) times[way].push(start(way));
}

const m = Object.fromEntries(Object.entries(times).map(([way, xs]) => [way, median(xs)])) as Record<Way, number>;
const rows: [string, string][] = [
  ['compiled: node bin/smokestack.js --help', fmt(m.compiled)],
  ['tsx:      node --import tsx src/client/cli.ts --help', fmt(m.tsx)],
  ['npx:      npx smokestack --help', fmt(m.npx)],
  ['node:     node -e 0 (the floor)', fmt(m.node)],
  ['compiled / tsx', (m.compiled / m.tsx).toFixed(3)],
  ['compiled (target <= 0.30 s)', m.compiled <= 0.3 ? 'met' : 'NOT met'],
  ['npx - compiled (what npx adds)', fmt(m.npx - m.compiled)],
];
console.log(`\nbench:cli (median of ${ROUNDS} starts each, interleaved)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(54)} ${v}`);
