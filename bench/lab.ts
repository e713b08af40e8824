// npm run bench:lab [-- --cold]
// The lab's start times, and one deploy's wall time split into remote work
// and orchestration overhead (time between activities).
//   hosts cold: lab:down, then lab:up with the build caches kept (new hosts);
//   warm:       lab:up with everything already running;
//   --cold:     also a start from an empty cache (every Go build and image).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployResult } from '../src/workflows/types.ts';
import { fmt, labWorker, sh, splitRun, timed } from './support.ts';

const rows: [string, string][] = [];

if (process.argv.includes('--cold')) {
  sh('bash lab/down.sh');
  const cache = mkdtempSync(join(tmpdir(), 'smokestack-cold-'));
  const cold = await timed(() => sh('bash lab/up.sh', { SMOKESTACK_CACHE: cache }));
  rows.push(['lab:up, empty cache (everything built)', fmt(cold.seconds)]);
  sh('bash lab/down.sh', { SMOKESTACK_CACHE: cache });
}
sh('bash lab/down.sh');
const hostsCold = await timed(() => sh('bash lab/up.sh'));
rows.push(['lab:up, cached builds, new hosts', fmt(hostsCold.seconds)]);
const warm = await timed(() => sh('bash lab/up.sh'));
rows.push(['lab:up, already running', fmt(warm.seconds)]);
rows.push(['warm / hosts-cold ratio', (warm.seconds / hostsCold.seconds).toFixed(3)]);

const w = await labWorker();
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
