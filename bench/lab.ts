// npm run bench:lab [-- --cold]
// The lab's start times, and one deploy's wall time split into remote work
// and orchestration overhead (time between activities).
//   hosts cold: lab:down, then lab:up with the build caches kept (new hosts);
//   warm:       lab:up with everything already running;
//   --cold:     also a start with every cache empty (the lab's, Go's and
//               pip's): every tool, root filesystem and image built anew.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployResult } from '../src/workflows/types.ts';
import { LAB_CONFIG, labServer, startWorker } from '../test/support/worker.ts';
import { fmt, sh, splitRun, timed } from './support.ts';

const rows: [string, string][] = [];

/** The parts of the last lab:up, as lab/up.sh recorded them. */
function parts(cache: string): [string, string][] {
  return readFileSync(join(cache, 'lab/up-timings.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t') as [string, string])
    .filter(([part]) => part !== 'total')
    .map(([part, seconds]) => [`    ${part}`, fmt(Number(seconds))]);
}

const COLD_TARGET = 600;
const WARM_TARGET = 60;

if (process.argv.includes('--cold')) {
  sh('bash lab/down.sh');
  // Every cache a build could lean on starts empty: the lab's own, Go's
  // module and build caches, pip's, and the outer Docker engine's images
  // and build cache (as on a new machine).
  sh('docker system prune --all --force >/dev/null');
  const root = mkdtempSync(join(tmpdir(), 'smokestack-cold-'));
  const empty = (name: string) => join(root, name);
  const coldEnv = { SMOKESTACK_CACHE: empty('cache'), GOMODCACHE: empty('gomod'), GOCACHE: empty('gocache'), PIP_CACHE_DIR: empty('pip') };
  const cold = await timed(() => sh('bash lab/up.sh', coldEnv));
  rows.push(['lab:up, every cache empty (everything built)', fmt(cold.seconds)]);
  rows.push(...parts(coldEnv.SMOKESTACK_CACHE));
  rows.push([`    cold / target ${COLD_TARGET} s`, (cold.seconds / COLD_TARGET).toFixed(3)]);
  sh('bash lab/down.sh', coldEnv);
}
sh('bash lab/down.sh');
const hostsCold = await timed(() => sh('bash lab/up.sh'));
rows.push(['lab:up, cached builds, new hosts', fmt(hostsCold.seconds)]);
rows.push(...parts(process.env.SMOKESTACK_CACHE ?? '/var/cache/smokestack'));
rows.push([`    warm / target ${WARM_TARGET} s`, (hostsCold.seconds / WARM_TARGET).toFixed(3)]);
const warm = await timed(() => sh('bash lab/up.sh'));
rows.push(['lab:up, already running', fmt(warm.seconds)]);
rows.push(['already running / new hosts', (warm.seconds / hostsCold.seconds).toFixed(3)]);

const w = await startWorker(LAB_CONFIG, labServer());
try {
  const handle = await w.client.workflow.start('deploy', {
    taskQueue: w.taskQueue,
    workflowId: `bench-deploy-dev-cloud-${Date.now()}`,
    args: [{ environment: 'dev-cloud', version: 'v1' }],
  });
  const result = (await handle.result()) as DeployResult;
  const split = await splitRun(handle);
  rows.push([`deploy v1 to a new dev-cloud (${result.outcome}): wall`, fmt(split.wallSeconds)]);
  rows.push(['  remote work (activities running)', fmt(split.remoteSeconds)]);
  rows.push(['  orchestration overhead (between activities)', fmt(split.overheadSeconds)]);
  rows.push(['  overhead / wall', (split.overheadSeconds / split.wallSeconds).toFixed(3)]);
} finally {
  await w.stop();
}

console.log('\nbench:lab');
for (const [k, v] of rows) console.log(`  ${k.padEnd(48)} ${v}`);
