// npm run bench:notify: what a Discord that accepts connections and never
// answers costs a deploy (target: at most 1 s). Side by side in one run, on
// virtual-smoker, rounds alternate:
//  (a) a deploy with no notifications configured;
//  (b) the same deploy with a Discord API that accepts and never answers.
// Each deploy switches between v1 and v2, so every one recreates the stack.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DeployResult } from '../src/workflows/types.ts';
import { labConfigWith } from '../test/support/config.ts';
import { labServer, startWorker, type TestWorker } from '../test/support/worker.ts';
import { fmt, median, timed } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

// Accepts every connection and never says a word.
const sockets = new Set<Socket>();
const blackHole = createServer((socket) => void sockets.add(socket));
await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
const blackHoleApi = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/api`;
delete process.env.SMOKESTACK_DISCORD_API;

const quiet = await startWorker(labConfigWith((c) => delete c.notifications), labServer());
const hanging = await startWorker(labConfigWith((c) => (c.notifications.discord.apiBase = blackHoleApi)), labServer());

let version = 'v1';
async function deploy(w: TestWorker): Promise<number> {
  version = version === 'v1' ? 'v2' : 'v1';
  const args = [{ environment: 'virtual-smoker', version }];
  const { seconds, value } = await timed(async () => {
    const handle = await w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-virtual-smoker', args });
    return (await handle.result()) as DeployResult;
  });
  if (value.outcome !== 'succeeded') throw new Error(`deploy ${version}: ${value.outcome}`);
  return seconds;
}

try {
  await deploy(quiet); // a warm start for both
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    a.push(await deploy(quiet));
    b.push(await deploy(hanging));
  }
  const rows: [string, string][] = [
    [`(a) deploy, no notifications, median of ${ROUNDS}`, fmt(median(a))],
    [`(b) deploy, Discord never answers, median of ${ROUNDS}`, fmt(median(b))],
    ['    b - a (target <= 1 s)', fmt(median(b) - median(a))],
    ['    b / a', (median(b) / median(a)).toFixed(3)],
    ['    all (a) runs', a.map((x) => x.toFixed(2)).join(', ')],
    ['    all (b) runs', b.map((x) => x.toFixed(2)).join(', ')],
    ['    connections Discord held open meanwhile', String(sockets.size)],
  ];
  console.log('\nbench:notify (virtual-smoker)');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(52)} ${v}`);
} finally {
  await quiet.stop();
  await hanging.stop();
  for (const s of sockets) s.destroy();
  blackHole.close();
}
