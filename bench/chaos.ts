// npm run chaos [-- --only server,worker-deploy,worker-rollback,host]
// Chaos runs against the lab's hosts, on a Temporal dev server of their own
// (killing it disturbs nothing else), with compiled workers in their own
// processes:
//   server           the server SIGKILLed while `compose up` runs, started
//                    again ~5 s later on the same port and database;
//   worker-deploy    the worker SIGKILLed at every step boundary of a deploy;
//   worker-rollback  the same at every step of a rollback (a version whose
//                    health gate fails);
//   host             the host's link cut for ~20 s during a deploy's health
//                    gate, and during a restore's `restore` step.
// dev-cloud takes server and worker-deploy; prod-cloud, at the same time,
// worker-rollback and host, then a share of worker-deploy's step boundaries
// (the server scenario runs alone: it stops both hosts' runs).
// One row per disturbed run; the end state is judged from the host. Exits
// non-zero if any run ended incorrect.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../src/codec/data-converter.ts';
import { loadConfig } from '../src/config/load.ts';
import { labConfigWith } from '../test/support/config.ts';
import type { LabHost } from '../test/support/lab.ts';
import { LAB_CONFIG } from '../test/support/worker.ts';
import { Boundaries, hostCutInGate, prepareCloudHost, serverKilled, workerKilledInDeploys, workerKilledInRollbacks, type Probe } from './chaos-deploys.ts';
import { Lane, reconnect, safeMessage } from './chaos-lane.ts';
import { DevServer, freePort } from './chaos-processes.ts';
import { hostCutInRestore } from './chaos-restore.ts';
import { printTable, type ChaosRow } from './chaos-table.ts';

const SCENARIOS = ['server', 'worker-deploy', 'worker-rollback', 'host'] as const;
type Scenario = (typeof SCENARIOS)[number];
const CUT_MS = 20_000;

const onlyArg = process.argv.indexOf('--only');
const only = new Set<string>(onlyArg >= 0 ? (process.argv[onlyArg + 1] ?? '').split(',').filter(Boolean) : SCENARIOS);
const unknown = [...only].filter((s) => !(SCENARIOS as readonly string[]).includes(s));
if (unknown.length > 0 || only.size === 0) {
  console.error(`--only takes some of ${SCENARIOS.join(',')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
  process.exit(2);
}
const runs = (s: Scenario) => only.has(s);

const runId = randomUUID().slice(0, 8);
const dir = mkdtempSync(join(tmpdir(), 'smokestack-chaos-'));
// The lab's configuration, its backups going to a store of this run's own.
const configFile = labConfigWith((c) => (c.backups = { ...c.backups, store: join(dir, 'backup-store') }));
const addressOf = (host: LabHost) => loadConfig(LAB_CONFIG).environments[host]!.host;
const server = new DevServer(await freePort(), join(dir, 'chaos.db'), dir);

const rows: ChaosRow[] = [];
const took = new Map<string, number>();
const report = (row: ChaosRow) => {
  rows.push(row);
  console.log(`chaos: ${row.scenario} at ${row.hit}: ${row.outcome}, ${row.correct ? 'correct' : 'INCORRECT'}, ${row.seconds.toFixed(1)} s (${row.note})`);
};
/** Runs one scenario (or its setting), timed; a failure becomes an incorrect row, and the lane goes on. */
async function scenario(name: string, work: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await work();
  } catch (err) {
    report({ scenario: name, hit: '-', outcome: 'error', correct: false, seconds: (performance.now() - t0) / 1000, note: safeMessage(err) });
  } finally {
    took.set(name, (took.get(name) ?? 0) + (performance.now() - t0) / 1000);
  }
}

const t0 = performance.now();
const lanes: Lane[] = [];
try {
  console.log(`chaos: Temporal dev server on ${server.address}, logs in ${dir}`);
  await server.start();
  const client = new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: dataConverterFromEnv() });
  const lane = (host: LabHost) => {
    const l = new Lane(host, client, { address: server.address, taskQueue: `chaos-${runId}-${host}`, config: configFile, logDir: dir });
    lanes.push(l);
    return l;
  };
  const dev = lane('dev-cloud');
  const prod = lane('prod-cloud');

  // The settings, side by side: each host reset, v1, then an undisturbed v1 -> v2 (the baseline).
  let devProbe: Probe | undefined;
  let prodProbe: Probe | undefined;
  await Promise.all([
    (runs('server') || runs('worker-deploy')) &&
      scenario('setting: dev-cloud', async () => {
        await dev.startWorker();
        devProbe = await prepareCloudHost(dev);
        console.log(`chaos: dev-cloud probe v1->v2 (${devProbe.seconds.toFixed(1)} s): ${devProbe.steps.join(', ')}; caught running by 100 ms polls: ${devProbe.seen.join(', ')}`);
      }),
    (runs('worker-rollback') || runs('host')) &&
      scenario('setting: prod-cloud', async () => {
        await prod.startWorker();
        prodProbe = await prepareCloudHost(prod);
        console.log(`chaos: prod-cloud probe v1->v2 (${prodProbe.seconds.toFixed(1)} s)`);
      }),
  ]);

  // Alone: it stops the server both hosts' runs use.
  if (runs('server') && devProbe) await scenario('server killed', async () => report(await serverKilled(dev, server, devProbe!)));

  // dev-cloud starts on the deploy step boundaries; prod-cloud takes its share of them once its own scenarios are done.
  const boundaries = new Boundaries(devProbe?.steps ?? []);
  const killInDeploys = (l: Lane, probe: Probe) => scenario('worker killed (deploy)', () => workerKilledInDeploys(l, probe, boundaries, report));
  await Promise.all([
    runs('worker-deploy') && devProbe && killInDeploys(dev, devProbe),
    (runs('worker-rollback') || runs('host')) &&
      (async () => {
        if (!prodProbe) return;
        if (runs('worker-rollback')) await scenario('worker killed (rollback)', () => workerKilledInRollbacks(prod, report));
        if (runs('host')) {
          await scenario('host cut off (deploy)', async () => report(await hostCutInGate(prod, addressOf('prod-cloud'), CUT_MS, prodProbe!.seconds)));
          await scenario('host cut off (restore)', async () => report(await hostCutInRestore(prod, configFile, addressOf('prod-cloud'), CUT_MS)));
        }
        if (runs('worker-deploy') && devProbe) await killInDeploys(prod, prodProbe);
      })(),
  ]);
  await client.connection.close();
} catch (err) {
  report({ scenario: 'chaos run', hit: '-', outcome: 'error', correct: false, seconds: (performance.now() - t0) / 1000, note: safeMessage(err) });
} finally {
  for (const host of ['dev-cloud', 'prod-cloud'] as const) reconnect(host, addressOf(host)); // in case a cut was left open
  for (const l of lanes) await l.stop().catch(() => undefined);
  await server.kill();
  // The logs stay for a look; the backups and the config copy go.
  rmSync(join(dir, 'backup-store'), { recursive: true, force: true });
  rmSync(dirname(configFile), { recursive: true, force: true });
}

console.log('');
printTable(rows);
console.log('');
for (const [name, seconds] of took) console.log(`${name}: ${seconds.toFixed(0)} s`);
console.log(`total: ${((performance.now() - t0) / 1000).toFixed(0)} s wall (scenario times above are summed over both hosts' lanes, which run side by side); logs in ${dir}`);
process.exit(rows.every((r) => r.correct) ? 0 : 1);
