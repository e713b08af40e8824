// The scheduled backup's steps on the worker: plan from config, dump on the
// database's host with a manifest beside the archive, copy both off the
// host to the runner's store (checksummed at both ends), list and remove
// backups in either place. The workflow decides; these only do.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Context } from '@temporalio/activity';
import { checksum, listFiles, makeDir, readTextFile, removeFile, writeFile as writeRemoteFile } from '../../commands/files.ts';
import { dumpDatabaseLogged, mongodumpVersion } from '../../commands/mongo.ts';
import type { BackupCopy, BackupInput, BackupManifest, BackupPlan, CollectionCount } from '../../workflows/types.ts';
import { authorizeChange } from '../approval/signatures.ts';
import type { ChangeRequest } from '../../workflows/signed-statement.ts';
import { failure } from '../../workflows/failures.ts';
import { hostTargetOf, workerConfig } from '../plan.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { BACKUP_SUFFIX, scheduledBackupsDir } from '../host/layout.ts';
import { dumpToFile } from './backup.ts';
import { indexesOf } from './root.ts';

export const MANIFEST_SUFFIX = '.manifest.json';

/** Plans a backup (or a restore or migration: `change`, checked against the environment's protection). */
export async function planBackup(configFile: string, input: BackupInput, change?: ChangeRequest): Promise<BackupPlan> {
  const config = workerConfig(configFile);
  const env = config.environments[input.environment];
  if (!env) throw failure('InvalidInput', `unknown environment "${input.environment}"; known: ${Object.keys(config.environments).join(', ')}`);
  if (!env.database) throw failure('NothingToBackUp', `${input.environment} has no database (no \`database:\` in its config)`);
  const backups = config.backups;
  if (!backups) throw failure('NothingToBackUp', 'no `backups:` in the config: say where the off-host copies go (backups.store)');
  const authority = change ? await authorizeChange(config, change.target, change.authorization) : undefined;
  return {
    environment: input.environment,
    ...(authority ? { authority } : {}),
    host: hostTargetOf(env),
    container: env.database.container,
    hostDir: scheduledBackupsDir(env.deployDir),
    storeDir: join(backups.store, input.environment),
    keep: backups.keep,
    timeZone: backups.timeZone,
    consistency: backups.consistency,
    minFreeDiskMb: env.minFreeDiskMb,
    appContainers: Object.values(env.services)
      .map((s) => s.container)
      .filter((c) => c !== env.database!.container),
  };
}

/** mongodump's own account of what it wrote: "done dumping `db.coll` (N documents)" (older tools print no backticks). */
export function dumpedCollections(log: string): CollectionCount[] {
  const counts: CollectionCount[] = [];
  for (const m of log.matchAll(/done dumping `?([^\s`]+)`? \((\d+) documents?\)/g)) counts.push({ namespace: m[1]!, documents: Number(m[2]) });
  return counts.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
}

/** Dumps the database into `<hostDir>/<id>.archive.gz`, then writes the manifest beside it. */
export async function takeBackup(configFile: string, plan: BackupPlan, id: string, trigger: BackupManifest['trigger']): Promise<BackupManifest> {
  const archive = `${id}${BACKUP_SUFFIX}`;
  const path = posix.join(plan.hostDir, archive);
  const { workflowExecution } = Context.current().info;
  return onHost(plan.host, async (host) => {
    await host.check(makeDir(plan.hostDir));
    const { sha256, bytes, log } = await dumpToFile(host, dumpDatabaseLogged(plan.container, `${path}.partial`), path);
    const version = /mongodump version:\s*(\S+)/.exec(await host.check(mongodumpVersion(plan.container)))?.[1] ?? 'unknown';
    const manifest: BackupManifest = {
      id,
      environment: plan.environment,
      takenAt: Date.now(),
      trigger,
      consistency: plan.consistency,
      archive,
      sha256,
      bytes,
      collections: dumpedCollections(log),
      indexes: await indexesOf(configFile, plan),
      tools: { mongodump: version },
      run: { workflowId: workflowExecution?.workflowId ?? '', runId: workflowExecution?.runId ?? '' },
    };
    await host.check(writeRemoteFile(posix.join(plan.hostDir, `${id}${MANIFEST_SUFFIX}`), `${JSON.stringify(manifest, null, 2)}\n`, '0600'));
    return manifest;
  });
}

/**
 * Copies the archive to `<storeDir>`, checked at both ends: the host hashed
 * the file when the dump ended (the manifest's sha256), and the copy is
 * hashed here as it is written. They must be equal; only then is the copy
 * renamed into place. When they differ, the host hashes its file again to
 * say which end is damaged: the archive on the host (final: a new backup is
 * needed) or the bytes on the way (copied again).
 */
export async function copyOffHost(plan: BackupPlan, manifest: BackupManifest): Promise<string> {
  const remote = posix.join(plan.hostDir, manifest.archive);
  const local = join(plan.storeDir, manifest.archive);
  const partial = `${local}.partial`;
  await mkdir(plan.storeDir, { recursive: true, mode: 0o700 });
  await onHost(plan.host, async (host) => {
    try {
      const copied = await whileHeartbeating(host.downloadFileHashed(remote, partial));
      if (copied.sha256 === manifest.sha256) return;
      const atSource = (await host.check(checksum(remote))).split(/\s+/)[0];
      if (atSource !== manifest.sha256) throw failure('BackupCorrupt', `${remote} on ${plan.host.host} no longer matches its manifest (sha256 ${atSource}, the manifest's ${manifest.sha256}): take a new backup`);
      throw failure('BackupCopyCorrupt', `the copy of ${manifest.archive} arrived as sha256 ${copied.sha256}, the host's file is ${manifest.sha256}`);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  });
  await rename(partial, local);
  await writeFile(join(plan.storeDir, `${manifest.id}${MANIFEST_SUFFIX}`), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return local;
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The manifests of one copy's backups, whose archives are there too; newest first. */
export async function listBackups(plan: BackupPlan, copy: BackupCopy): Promise<BackupManifest[]> {
  const manifests = copy === 'store' ? await storeManifests(plan.storeDir) : await hostManifests(plan);
  return manifests.sort((a, b) => b.takenAt - a.takenAt);
}

async function storeManifests(dir: string): Promise<BackupManifest[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: BackupManifest[] = [];
  for (const name of names.filter((n) => n.endsWith(MANIFEST_SUFFIX))) {
    const manifest = JSON.parse(await readFile(join(dir, name), 'utf8')) as BackupManifest;
    if (await stat(join(dir, manifest.archive)).then(() => true, () => false)) found.push(manifest);
  }
  return found;
}

async function hostManifests(plan: BackupPlan): Promise<BackupManifest[]> {
  return onHost(plan.host, async (host) => {
    const listed = await host.run(listFiles(plan.hostDir));
    if (listed.code !== 0) return [];
    const names = new Set(listed.stdout.split('\n').filter(Boolean));
    const found: BackupManifest[] = [];
    for (const name of [...names].filter((n) => n.endsWith(MANIFEST_SUFFIX))) {
      const manifest = JSON.parse(await host.check(readTextFile(posix.join(plan.hostDir, name)))) as BackupManifest;
      if (names.has(manifest.archive)) found.push(manifest);
    }
    return found;
  });
}

/** Removes backups (archive, then manifest) from one copy. */
export async function removeBackups(plan: BackupPlan, copy: BackupCopy, ids: string[]): Promise<void> {
  const files = (id: string) => [`${id}${BACKUP_SUFFIX}`, `${id}${MANIFEST_SUFFIX}`];
  if (copy === 'store') {
    for (const id of ids) for (const f of files(id)) await rm(join(plan.storeDir, f), { force: true });
    return;
  }
  await onHost(plan.host, async (host) => {
    for (const id of ids) for (const f of files(id)) await host.check(removeFile(posix.join(plan.hostDir, f)));
  });
}
