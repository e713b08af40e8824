// npm run bench:migrate
// The migration of smokecloud's database (100k realistic documents,
// test/support/smokecloud.ts) to prod-cloud, side by side in one run
// (issue 10):
//  smokestack: the migrate workflow end to end on a worker of this process,
//              timed from its start to its result; its downtime is its own
//              (result.times: the source's app stopped -> the smoke check
//              answered), and each step's duration is read from the result;
//  raw:        the SAME steps as a plain script over the OpenSSH client:
//              a backup of each end (mongodump on the host, sha256, `ssh cat`
//              to this machine, sha256), the source's app stopped, the final
//              dump, copied source -> here -> prod-cloud with sha256 at both
//              ends, the target's app stopped, its databases dropped,
//              mongorestore, the source's indexes built, both ends read
//              through the driver and compared (counts, indexes, content
//              hashes: the product's own stateOf, the same work), the target's
//              app started and waited healthy, one GET of its API with curl;
//              its downtime from the source's `docker stop` to that answer;
//  bare:       the bare minimum, dump + copy + restore the same way, no
//              backups, no checksums, no index builds, no verify, no restart:
//              what the safety steps cost, informational.
// Each side starts from the same scene: smokecloud reset, deployed and
// seeded (prepareSmokecloud), prod-cloud reset and deployed v1 (the bare
// run: prod-cloud reset only, smokecloud's data is as seeded). Rounds
// alternate which side goes first; medians shown.
// 1M documents is not run: on the lab's FerretDB (SQLite) the seed alone
// takes too long; the table extrapolates from this run's figures instead.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { dumpedCollections, fileSha256 } from '../src/activities/database/backups.ts';
import { stateOf } from '../src/activities/database/restore.ts';
import { appDatabases, asRoot, indexesOf } from '../src/activities/database/root.ts';
import { quoteArg } from '../src/commands/command.ts';
import { loadConfig } from '../src/config/load.ts';
import { migrationSettings } from '../src/config/schema.ts';
import { deployWorkflowId, keepSourceWorkflowId, migrateWorkflowId } from '../src/workflows/definitions.ts';
import { MIGRATE_STEPS } from '../src/workflows/migrate.ts';
import type { CollectionIndexes, DatabaseState, DeployResult, MigrateResult } from '../src/workflows/types.ts';
import { labConfigWith } from '../test/support/config.ts';
import { resetHost } from '../test/support/lab.ts';
import { deployInput, signedChange } from '../test/support/signing.ts';
import { prepareSmokecloud, SMOKECLOUD, type SmokecloudSeed } from '../test/support/smokecloud.ts';
import { labServer, startWorker } from '../test/support/worker.ts';
import { fmt, median, mongoToolScript, sshScript, timed } from './support.ts';

const SOURCE = SMOKECLOUD;
const TARGET = 'prod-cloud';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 100_000);
/** Issue 10: the product's total at most 1.3 times the raw script's. */
const TARGET_RATIO = 1.3;
const APPS = 'backend_cloud frontend_cloud';
/** The raw script's files on the hosts (removed after each run). */
const HOST_FILES = {
  backup: '/tmp/bench-migrate-backup.archive.gz',
  final: '/tmp/bench-migrate-final.archive.gz',
  moved: '/tmp/bench-migrate-moved.archive.gz',
  bare: '/tmp/bench-migrate-bare.archive.gz',
};

const store = mkdtempSync(join(tmpdir(), 'smokestack-bench-migrate-store-'));
const here = mkdtempSync(join(tmpdir(), 'smokestack-bench-migrate-raw-'));
// keepSourceDays 1: the reminder child must not fire during the bench (each run's is terminated anyway).
const configFile = labConfigWith((c) => {
  c.backups = { ...c.backups, store };
  c.migration = { ...c.migration, keepSourceDays: 1 };
});
const config = loadConfig(configFile);
const envOf = (name: string) => config.environments[name]!;
const smokeCheck = migrationSettings(config).smokeCheck;
const smokePath = smokeCheck.path.split('{collection}').join(smokeCheck.collection);

/**
 * One remote script over plain ssh (the OpenSSH client, the lab key, a new
 * connection each time, as a script would): stdin from a local file, or
 * stdout into one, or stdout returned.
 */
function ssh(environment: string, script: string, io: { stdinFile?: string; stdoutFile?: string } = {}): Promise<string> {
  return sshScript(envOf(environment), script, io);
}

/**
 * A mongo-tools command in the host's database container, as root, the
 * password from the container's environment in a private config file (as
 * bench/backup.ts and smokestack do: never an argument `ps` would show).
 * Returns the tool's stderr (its log).
 */
async function rawTool(environment: string, tool: string, redirects: string): Promise<string> {
  const script = mongoToolScript(tool);
  const log = '/tmp/bench-migrate-tool.log';
  const container = envOf(environment).database!.container;
  return ssh(environment, `docker exec -i ${container} sh -c ${quoteArg(script)} ${redirects} 2>${log} || { tail -5 ${log} >&2; rm -f ${log}; exit 1; }; cat ${log}; rm -f ${log}`);
}

/** mongodump --archive --gzip into a file on the host; its log's counts, its sha256 (unless `hash` is false), its size. */
async function rawDump(environment: string, file: string, hash = true): Promise<{ documents: number; sha256?: string; bytes: number }> {
  const log = await rawTool(environment, 'mongodump --archive --gzip', `> ${file}`);
  const documents = dumpedCollections(log).filter((c) => !/^(admin|config|local)\./.test(c.namespace)).reduce((n, c) => n + c.documents, 0);
  const [size, sum] = (await ssh(environment, `stat -c %s ${file}${hash ? `; sha256sum ${file}` : ''}`)).trim().split('\n');
  const bytes = Number(size);
  if (!(bytes > 0)) throw new Error(`mongodump on ${environment} wrote ${size} bytes`);
  return hash ? { documents, bytes, sha256: sum!.split(/\s+/)[0] } : { documents, bytes };
}

/** `ssh cat` of a host's file to a local one; its sha256 here must be the host's. */
async function copyHere(environment: string, remote: string, local: string, sha256?: string): Promise<void> {
  await ssh(environment, `cat -- ${remote}`, { stdoutFile: local });
  if (sha256 !== undefined) {
    const got = await fileSha256(local);
    if (got !== sha256) throw new Error(`${remote} from ${environment} arrived as sha256 ${got}, the host's is ${sha256}`);
  }
}

/** `ssh 'cat > f'` of a local file onto a host; the host's sha256 must be this one's. */
async function copyThere(local: string, environment: string, remote: string, sha256?: string): Promise<void> {
  await ssh(environment, `cat > ${remote}`, { stdinFile: local });
  if (sha256 !== undefined) {
    const got = (await ssh(environment, `sha256sum ${remote}`)).split(/\s+/)[0];
    if (got !== sha256) throw new Error(`${remote} arrived on ${environment} as sha256 ${got}, sent as ${sha256}`);
  }
}

/** The raw restore as FerretDB takes it (see bench/backup.ts rawRestore): the documents only, all of them. */
async function rawRestore(environment: string, file: string, expected: number): Promise<void> {
  const tool = `mongorestore --archive --gzip --drop --noIndexRestore --nsExclude 'admin.*' --nsExclude 'config.*' --nsExclude 'local.*'`;
  const log = await rawTool(environment, tool, `< ${file} > /dev/null`);
  const restored = /(\d+) document\(s\) restored successfully\. (\d+) document\(s\) failed/.exec(log);
  if (!restored || Number(restored[1]) !== expected || restored[2] !== '0') {
    throw new Error(`mongorestore on ${environment} did not restore the dump's ${expected} documents: ${restored?.[0] ?? log.trim().split('\n').at(-1)}`);
  }
}

const stateOfEnv = (environment: string): Promise<DatabaseState> => asRoot(configFile, { environment }, stateOf);

async function buildIndexes(environment: string, indexes: CollectionIndexes[]): Promise<void> {
  await asRoot(configFile, { environment }, async (admin) => {
    for (const { namespace, specs } of indexes) {
      const dot = namespace.indexOf('.');
      const built = specs.filter((spec) => spec.name !== '_id_');
      if (built.length > 0) await admin.client.db(namespace.slice(0, dot)).command({ createIndexes: namespace.slice(dot + 1), indexes: built });
    }
  });
}

/** Starts the app's containers on a host and waits, on the host, until Docker says each is healthy (the product's gate polls every 0.25 s). */
const startAndWaitHealthy = (environment: string) =>
  ssh(
    environment,
    [
      `docker start ${APPS} >/dev/null`,
      'deadline=$(( $(date +%s) + 180 ))',
      `until [ "$(docker inspect --format '{{.State.Health.Status}}' ${APPS} | sort -u)" = healthy ]; do`,
      `  [ "$(date +%s)" -lt "$deadline" ] || { docker inspect --format '{{.Name}} {{.State.Status}} {{.State.Health.Status}}' ${APPS} >&2; exit 1; }`,
      '  sleep 0.25',
      'done',
    ].join('\n'),
  );

const RAW_STEPS = ['backups', 'maintenance window', 'final dump', 'transfer', 'restore', 'verify', 'switch', 'smoke check'] as const;
type RawStep = (typeof RAW_STEPS)[number];

interface RawRun {
  total: number;
  downtime: number;
  steps: Record<RawStep, number>;
  bytes: number;
}

/** The migration's steps as a plain script, timed here from its first command to the smoke check's answer. */
async function rawMigration(seed: SmokecloudSeed): Promise<RawRun> {
  const steps = {} as Record<RawStep, number>;
  const t0 = performance.now();
  const step = async <T>(name: RawStep, work: () => Promise<T>): Promise<T> => {
    const { seconds, value } = await timed(work);
    steps[name] = seconds;
    return value;
  };
  await step('backups', async () => {
    for (const end of [SOURCE, TARGET]) {
      const { sha256 } = await rawDump(end, HOST_FILES.backup);
      await copyHere(end, HOST_FILES.backup, join(here, `${end}-backup.archive.gz`), sha256);
    }
  });
  const downAt = performance.now();
  await step('maintenance window', () => ssh(SOURCE, `docker stop ${APPS} >/dev/null`));
  const { final, indexes } = await step('final dump', async () => ({
    final: await rawDump(SOURCE, HOST_FILES.final),
    // The indexes to build on the target, read from the source with no writer left (smokestack reads them as it dumps).
    indexes: await indexesOf(configFile, { environment: SOURCE }),
  }));
  const local = join(here, 'final.archive.gz');
  await step('transfer', async () => {
    await copyHere(SOURCE, HOST_FILES.final, local, final.sha256);
    await copyThere(local, TARGET, HOST_FILES.moved, final.sha256);
  });
  await step('restore', async () => {
    await ssh(TARGET, `docker stop ${APPS} >/dev/null`);
    // As smokestack's restore: the application databases dropped, so nothing the target held is left beside the archive's.
    await asRoot(configFile, { environment: TARGET }, async (admin) => {
      for (const name of await appDatabases(admin)) await admin.client.db(name).dropDatabase();
    });
    await rawRestore(TARGET, HOST_FILES.moved, final.documents);
    await buildIndexes(TARGET, indexes);
  });
  await step('verify', async () => {
    const target = await stateOfEnv(TARGET);
    const source = await stateOfEnv(SOURCE);
    if (!isDeepStrictEqual(target, source)) {
      const namespaces = [...new Set([...target.collections, ...source.collections].map((c) => c.namespace))];
      const differing = namespaces.filter((ns) => !isDeepStrictEqual(target.collections.find((c) => c.namespace === ns), source.collections.find((c) => c.namespace === ns)));
      throw new Error(`raw: ${TARGET}'s database differs from ${SOURCE}'s after the restore: ${differing.join(', ')}`);
    }
    for (const [name, n] of Object.entries(seed.counts)) {
      const got = target.collections.find((c) => c.namespace === `smartsmoker.${name}`)?.documents;
      if (got !== n) throw new Error(`raw: ${TARGET} holds ${got} smartsmoker.${name}, seeded ${n}`);
    }
  });
  await step('switch', () => startAndWaitHealthy(TARGET));
  await step('smoke check', async () => {
    const body = await ssh(TARGET, `curl -fsS --max-time 90 http://127.0.0.1:${smokeCheck.port}${smokePath}`);
    const newest = String(seed.last[smokeCheck.collection]!._id);
    if (!body.includes(newest)) throw new Error(`raw: GET ${smokePath} on ${TARGET} did not serve the newest ${smokeCheck.collection} ${newest}: ${body.slice(0, 300)}`);
  });
  const end = performance.now();
  await removeRawFiles();
  return { total: (end - t0) / 1000, downtime: (end - downAt) / 1000, steps, bytes: final.bytes };
}

/** The bare minimum: dump, copy through here, restore the documents. No backups, checksums, indexes, verify nor restart. */
async function bareMigration(): Promise<number> {
  const local = join(here, 'bare.archive.gz');
  const { seconds } = await timed(async () => {
    const { documents } = await rawDump(SOURCE, HOST_FILES.bare, false);
    await copyHere(SOURCE, HOST_FILES.bare, local);
    await copyThere(local, TARGET, HOST_FILES.bare);
    await rawRestore(TARGET, HOST_FILES.bare, documents);
  });
  await removeRawFiles();
  return seconds;
}

/** The raw script's files, on both hosts and here. */
async function removeRawFiles(): Promise<void> {
  const files = Object.values(HOST_FILES).join(' ');
  await Promise.all([SOURCE, TARGET].map((e) => ssh(e, `rm -f ${files}`)));
  rmSync(here, { recursive: true, force: true });
  mkdirSync(here, { recursive: true, mode: 0o700 });
}

const loads: number[][] = [loadavg()];
const benchStarted = performance.now();
const w = await startWorker(configFile, labServer());

/** The migration's reminder child outlives its run (a day here): ended so that the next run may start its own, and so that it never fires. */
async function endReminder(): Promise<void> {
  try {
    const handle = w.client.workflow.getHandle(keepSourceWorkflowId(SOURCE));
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('bench:migrate: the next run starts its own');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** A clean host with the cloud stack v1, deployed by smokestack (as test/lab/migrate.test.ts does). */
async function deployV1(environment: typeof TARGET): Promise<void> {
  resetHost(environment);
  const deployed = (await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: deployWorkflowId(environment), args: [await deployInput({ environment, version: 'v1' })] })) as DeployResult;
  if (deployed.outcome !== 'succeeded') throw new Error(`deploy v1 to ${environment}: ${deployed.outcome}`);
}

const resets: number[] = [];
const seeds: number[] = [];
/** smokecloud deployed and seeded anew, prod-cloud reset and deployed v1: the scene each side starts from. */
async function resetScene(): Promise<SmokecloudSeed> {
  const { seconds, value } = await timed(async () => {
    const seed = await prepareSmokecloud({ documents: DOCUMENTS, worker: w });
    await deployV1(TARGET);
    return seed;
  });
  resets.push(seconds);
  seeds.push(value.seconds);
  return value;
}

const ours = { total: [] as number[], downtime: [] as number[], bytes: [] as number[], steps: {} as Record<string, number[]>, deploy: {} as Record<string, number[]> };
const raw = { total: [] as number[], downtime: [] as number[], bytes: [] as number[], steps: {} as Record<string, number[]> };
const bare: number[] = [];
let seeded: SmokecloudSeed | undefined;

async function runOurs(): Promise<void> {
  await endReminder();
  // prod-cloud is protected: bob's request for this one migration, signed before the clock starts.
  const authorization = await signedChange({ action: 'migrate', environment: TARGET, from: SOURCE });
  const t0 = performance.now();
  const handle = await w.client.workflow.start('migrate', {
    taskQueue: w.taskQueue,
    workflowId: migrateWorkflowId(SOURCE),
    args: [{ from: SOURCE, to: TARGET, requestedBy: 'bench:migrate', authorization }],
    // A completed migration of smokecloud refuses another under its ID otherwise (what the CLI's --force does).
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  let result: MigrateResult;
  try {
    result = (await handle.result()) as MigrateResult;
  } catch (err) {
    const details = err instanceof WorkflowFailedError ? ((err.cause as { details?: unknown[] } | undefined)?.details?.[0] as MigrateResult | undefined) : undefined;
    const steps = details?.steps.map((s) => `${s.name}: ${s.state}${s.detail ? ` (${s.detail})` : ''}`).join('; ');
    throw new Error(`the migration did not succeed (${handle.workflowId}): ${(err as Error).message}${steps ? `\n  ${steps}` : ''}`, { cause: err });
  }
  const seconds = (performance.now() - t0) / 1000;
  await endReminder();
  if (result.outcome !== 'migrated') throw new Error(`the migration ended ${result.outcome}`);
  ours.total.push(seconds);
  ours.downtime.push(result.times.downtimeSeconds!);
  ours.bytes.push(result.moved!.bytes);
  for (const s of result.steps) if (s.startedAt && s.endedAt) (ours.steps[s.name] ??= []).push((s.endedAt - s.startedAt) / 1000);
  // The switch's child deploy of the target: the latest run under its ID (nothing else deploys prod-cloud meanwhile).
  const deployed = (await w.client.workflow.getHandle(deployWorkflowId(TARGET)).result()) as DeployResult;
  for (const s of deployed.steps) if (s.startedAt && s.endedAt) (ours.deploy[s.name] ??= []).push((s.endedAt - s.startedAt) / 1000);
}

async function runRaw(seed: SmokecloudSeed): Promise<void> {
  const run = await rawMigration(seed);
  raw.total.push(run.total);
  raw.downtime.push(run.downtime);
  raw.bytes.push(run.bytes);
  for (const [name, s] of Object.entries(run.steps)) (raw.steps[name] ??= []).push(s);
}

let failed = false;
try {
  await removeRawFiles();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first: neither always meets the lab as the other left it.
    const rawFirst = round % 2 === 0;
    for (const side of rawFirst ? (['raw', 'smokestack'] as const) : (['smokestack', 'raw'] as const)) {
      seeded = await resetScene();
      if (side === 'raw') await runRaw(seeded);
      else await runOurs();
    }
    // The bare minimum: smokecloud's data is still as seeded (neither side changes it), prod-cloud fresh again.
    await deployV1(TARGET);
    bare.push(await bareMigration());
    loads.push(loadavg());
    console.log(
      `  round ${round + 1}/${ROUNDS} (${rawFirst ? 'raw' : 'smokestack'} first): smokestack ${fmt(ours.total.at(-1)!)} (down ${fmt(ours.downtime.at(-1)!)}), ` +
        `raw ${fmt(raw.total.at(-1)!)} (down ${fmt(raw.downtime.at(-1)!)}), bare minimum ${fmt(bare.at(-1)!)}`,
    );
    // Each round's steps side by side, so a gap is found in the round it opened.
    const last = (steps: Record<string, number[]>) => Object.entries(steps).map(([name, s]) => `${name} ${fmt(s.at(-1)!)}`).join(', ');
    console.log(`    smokestack: ${last(ours.steps)}\n    its deploy: ${last(ours.deploy)}\n    raw: ${last(raw.steps)}`);
  }
} catch (err) {
  failed = true;
  throw err;
} finally {
  await removeRawFiles().catch((err) => console.error(`could not remove the raw script's files: ${err.message}`));
  rmSync(here, { recursive: true, force: true });
  await endReminder().catch((err) => console.error(`could not end the reminder: ${err.message}`));
  // The lab as a deploy leaves it: smokecloud serving (its app was stopped by the last migration), prod-cloud holding the data with its indexes (the bare run built none).
  await startAndWaitHealthy(SOURCE).catch((err) => console.error(`could not start ${SOURCE}'s app again: ${err.message}`));
  if (!failed) await indexesOf(configFile, { environment: SOURCE }).then((indexes) => buildIndexes(TARGET, indexes)).catch((err) => console.error(`could not build ${TARGET}'s indexes: ${err.message}`));
  rmSync(store, { recursive: true, force: true });
  rmSync(dirname(configFile), { recursive: true, force: true });
  await w.stop();
}

const seed = seeded!;
const benchSeconds = (performance.now() - benchStarted) / 1000;
const documents = Object.values(seed.counts).reduce((a, b) => a + b, 0);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const runs = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
const ratio = median(ours.total) / median(raw.total);
const perRound = ours.total.map((x, i) => (x / raw.total[i]!).toFixed(2)).join(', ');
const stepRow = (name: string): [string, string] => {
  const o = ours.steps[name];
  const r = raw.steps[name];
  return [`    ${name}`, `${o ? fmt(median(o)).padStart(9) : '        —'}   raw ${r ? fmt(median(r)).padStart(9) : '        —'}`];
};
// 1M: linear in the documents from this run's figures (an estimate: fixed costs such as deploys scale too here).
const perRoundSeconds = benchSeconds / ROUNDS;
const rows: [string, string][] = [
  ['documents', `${documents.toLocaleString('en')} in ${Object.keys(seed.counts).length} collections (${Object.entries(seed.counts).map(([c, n]) => `${c} ${n.toLocaleString('en')}`).join(', ')})`],
  ['archive (--archive --gzip), median', `smokestack's final dump ${mib(median(ours.bytes))}, raw ${mib(median(raw.bytes))}`],
  [`smokestack: migrate workflow, median of ${ours.total.length}`, `${fmt(median(ours.total))}  (start -> result)`],
  ['    all runs', runs(ours.total)],
  [`raw, same steps over ssh, median of ${raw.total.length}`, `${fmt(median(raw.total))}  (first command -> the smoke GET answered)`],
  ['    all runs', runs(raw.total)],
  [`bare dump + copy + restore, median of ${bare.length}`, `${fmt(median(bare))}  (no backups, checksums, indexes, verify, restart)`],
  ['    all runs', runs(bare)],
  ['smokestack / raw same steps', `${ratio.toFixed(3)}  (target <= ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'NOT MET'}; per round ${perRound})`],
  ['smokestack / bare minimum', `${(median(ours.total) / median(bare)).toFixed(3)}  (informational: what the safety steps cost; raw / bare ${(median(raw.total) / median(bare)).toFixed(3)})`],
  ['downtime (services down), median', `smokestack ${fmt(median(ours.downtime))}, raw ${fmt(median(raw.downtime))}  (ratio ${(median(ours.downtime) / median(raw.downtime)).toFixed(3)})`],
  ['    all smokestack runs', runs(ours.downtime)],
  ['    all raw runs', runs(raw.downtime)],
  ['steps, median: smokestack   raw', ''],
  ...MIGRATE_STEPS.map(stepRow),
  [
    '    switch: its child deploy, median',
    Object.entries(ours.deploy)
      .map(([name, xs]) => `${name} ${median(xs).toFixed(2)}`)
      .join(', '),
  ],
  ['scene reset per side, median', `${fmt(median(resets))} (seed ${fmt(median(seeds))}; in no figure above)`],
  [
    '1M documents',
    `not run: FerretDB (SQLite) is too slow for it in reasonable time. Linear from this run: seeding ~${((median(seeds) * 1_000_000) / documents / 60).toFixed(0)} min each, ` +
      `a smokestack migration ~${((median(ours.total) * 1_000_000) / documents / 60).toFixed(0)} min, a round ~${((perRoundSeconds * 1_000_000) / documents / 60).toFixed(0)} min`,
  ],
  [`load average (1, 5, 15 min), ${cpus().length} CPUs`, `start ${load(loads[0]!)}; after each round ${loads.slice(1).map((l) => l[0]!.toFixed(2)).join(', ')}`],
  ['whole bench', `${(benchSeconds / 60).toFixed(1)} min, ${ROUNDS} round(s)`],
];
console.log(`\nbench:migrate (${SOURCE} -> ${TARGET}: FerretDB on SQLite standing in for mongo:7)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(46)} ${v}`);
console.log(
  `\n  Each side started from the same scene (smokecloud reset, deployed v1 and seeded; prod-cloud reset and deployed v1); rounds alternated` +
    `\n  which went first. With an even number of runs the median is the upper middle one (bench/support.ts).` +
    `\n  The raw script does smokestack's steps with the OpenSSH client, a new connection per command: both backups (sha256 at both ends),` +
    `\n  the source's app stopped, the final dump, the copy through this machine (sha256 at both ends), the target's app stopped and its` +
    `\n  databases dropped, mongorestore (documents only: FerretDB refuses index restore) and the source's indexes built, both ends read` +
    `\n  through the driver and compared (counts, indexes, content hashes), the target's app started and waited healthy, one GET with curl.` +
    `\n  It has no preflight, no notices, no locks and no deploy in its switch (docker start): smokestack's 'plan', 'preflight' and` +
    `\n  'keep source' and the deploy in its 'switch' are in its figure only. Downtime: the source's app stopped -> the smoke GET answered.` +
    `\n  These machines are shared: the load above is everyone's.` +
    `\n  Left: ${SOURCE} serving its seed; ${TARGET} deployed v1 and serving a copy of it (the last bare run's, the source's indexes built after it).`,
);
