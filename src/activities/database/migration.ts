// A migration's steps on the worker: plan both ends from config, read the
// facts the preflight judges (server version, whether anyone may read
// without a login, data size, free disk), carry the final dump from the
// runner's store to the target host, and read one document back through
// the target's backend API: the smoke check that the app serves the data.
import { join, posix } from 'node:path';
import { BSON, MongoServerError } from 'mongodb';
import { checksum } from '../../commands/files.ts';
import { migrationSettings, type MigrationConfig } from '../../config/schema.ts';
import type { BackupManifest, BackupPlan, DatabaseFacts, MigrateInput, SmokeCheck } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { backupsDirOf } from '../host/layout.ts';
import { getOnLoopback } from '../host/loopback-http.ts';
import { freeDisk } from '../host/preflight.ts';
import { workerConfig } from '../plan.ts';
import { onHost } from '../remote.ts';
import { planBackup, fileSha256 } from './backups.ts';
import { withDatabase } from './connect.ts';
import { uploadArchive } from './restore.ts';
import { appDatabases, asRoot } from './root.ts';

const { EJSON } = BSON;

/** What a client without credentials is told when it lists databases on a server with authentication on. */
const UNAUTHORIZED = 13;
const AUTHENTICATION_REQUIRED = new Set([UNAUTHORIZED, 18]);

export interface MigrationPlan {
  source: BackupPlan;
  target: BackupPlan;
  smokeCheck: MigrationConfig['smokeCheck'];
  keepSeconds: number;
  /** The decommission checklist, with TARGET named. */
  checks: string[];
}

/** Both ends from config, refused (InvalidInput) before anything is touched when they cannot be a migration. */
export async function planMigration(configFile: string, input: MigrateInput): Promise<MigrationPlan> {
  const config = workerConfig(configFile);
  const known = Object.keys(config.environments).join(', ');
  for (const name of [input.from, input.to]) {
    if (!config.environments[name]) throw failure('InvalidInput', `unknown environment "${name}"; known: ${known}`);
    if (!config.environments[name]!.database) throw failure('InvalidInput', `${name} has no database to migrate ${name === input.from ? 'from' : 'into'} (no \`database:\` in its config)`);
  }
  if (input.from === input.to) throw failure('InvalidInput', `--from and --to are both ${input.from}: a migration moves a database to another host`);
  const source = await planBackup(configFile, { environment: input.from });
  // The target is what changes: a protected one only by an approver's signed request for this migration.
  const target = await planBackup(configFile, { environment: input.to }, { target: { action: 'migrate', environment: input.to, from: input.from }, authorization: input.authorization });
  if (source.host.host === target.host.host) throw failure('InvalidInput', `${input.from} and ${input.to} are the same host (${source.host.host})`);
  const m = migrationSettings(config);
  return {
    source,
    target,
    smokeCheck: m.smokeCheck,
    keepSeconds: Math.round(m.keepSourceDays * 86_400),
    checks: m.checks.map((c) => c.split('TARGET').join(input.to)),
  };
}

/** The facts the preflight judges, read from the database and its host. */
export async function databaseFacts(configFile: string, plan: BackupPlan): Promise<DatabaseFacts> {
  const { version, dataBytes } = await asRoot(configFile, plan, async (admin) => {
    const info = (await admin.command({ buildInfo: 1 })) as { version: string };
    let bytes = 0;
    for (const name of await appDatabases(admin)) bytes += Number(((await admin.client.db(name).command({ dbStats: 1 })) as { dataSize?: number }).dataSize ?? 0);
    return { version: info.version, dataBytes: bytes };
  });
  const authenticationRequired = await refusesStrangers(plan);
  const freeMb = await onHost(plan.host, (host) => freeDisk(host, plan.hostDir));
  return { environment: plan.environment, version, authenticationRequired, dataBytes, freeBytes: freeMb * 2 ** 20 };
}

/** Whether the server refuses listDatabases to a client that never logged in (authentication on). */
async function refusesStrangers(plan: BackupPlan): Promise<boolean> {
  try {
    await withDatabase(plan.host, null, (client) => client.db('admin').command({ listDatabases: 1, nameOnly: true }));
    return false;
  } catch (err) {
    if (err instanceof MongoServerError && AUTHENTICATION_REQUIRED.has(Number(err.code))) return true;
    throw err;
  }
}

/** Where a migration's archive lands on the target: beside its backups, not among them (rotation never sees it). */
export const migrationDir = (target: BackupPlan): string => posix.join(backupsDirOf(target.hostDir), 'migrations');

/**
 * The source's archive, from the runner's store (where the backup step put
 * it, checked at both ends), onto the target host. The store's copy is
 * hashed first and the target's after; both must be the manifest's. It
 * lands as `.partial` and is renamed only once sound, so a retried transfer
 * (a worker killed half-way) starts over or, when the last one finished,
 * finds it there and does nothing.
 */
export async function transferArchive(source: BackupPlan, target: BackupPlan, manifest: BackupManifest): Promise<string> {
  const local = join(source.storeDir, manifest.archive);
  const remote = posix.join(migrationDir(target), manifest.archive);
  return onHost(target.host, async (host) => {
    const there = await host.run(checksum(remote));
    if (there.code === 0 && there.stdout.split(/\s+/)[0] === manifest.sha256) return remote;
    const here = await fileSha256(local).catch(() => 'missing');
    if (here !== manifest.sha256) throw failure('BackupCopyCorrupt', `the store's copy of ${manifest.archive} has sha256 ${here}, its manifest ${manifest.sha256}`);
    await uploadArchive(host, target.host.host, local, remote, manifest, backupsDirOf(target.hostDir));
    return remote;
  });
}

/** The _id of the newest document (greatest _id) of smartsmoker.<collection>, as canonical EJSON; null when it is empty. */
export async function newestId(configFile: string, plan: BackupPlan, collection: string): Promise<string | null> {
  return asRoot(configFile, plan, async (admin) => {
    const [doc] = await admin.client.db('smartsmoker').collection(collection).find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).toArray();
    return doc ? EJSON.stringify(doc._id, { relaxed: false }) : null;
  });
}

/**
 * One GET of the backend API on the host's loopback, over the SSH
 * connection (no port is opened, no curl needed on the host): it must
 * answer 200 with the document whose _id is `expectedId`.
 */
export async function smokeCheck(plan: BackupPlan, check: MigrationConfig['smokeCheck'], expectedId: string): Promise<SmokeCheck> {
  const path = check.path.split('{collection}').join(check.collection);
  const answer = await onHost(plan.host, (host) => getOnLoopback(host, check.port, path, 90_000));
  const where = `GET ${path} on ${plan.host.host}:${check.port}`;
  if (answer.status !== 200) throw failure('SmokeCheckFailed', `${where} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  let got: string;
  try {
    got = EJSON.stringify((EJSON.parse(answer.body, { relaxed: false }) as { _id: unknown })._id, { relaxed: false });
  } catch {
    throw failure('SmokeCheckFailed', `${where} answered with no document: ${answer.body.slice(0, 300)}`);
  }
  if (got !== expectedId) throw failure('SmokeCheckFailed', `${where} served ${got} as the newest ${check.collection}, the database's newest is ${expectedId}`);
  return { environment: plan.environment, path, newestId: got };
}
