// The restore's steps on the worker: pick a backup, make sure the host holds
// its archive byte for byte (from the store if need be), stop and start the
// app, replace the live databases with the archive's, and read the database
// back (counts, indexes, content hashes) through the driver.
import { posix } from 'node:path';
import { startContainers, stopContainers } from '../../commands/docker.ts';
import { checksum, makePrivateDir, moveFile } from '../../commands/files.ts';
import { restoreDatabase } from '../../commands/mongo.ts';
import type { Db } from 'mongodb';
import type { BackupManifest, BackupPlan, CollectionState, DatabaseState, IndexSpec } from '../../workflows/types.ts';
import { BACKUP_ID } from '../../workflows/backup-id.ts';
import { defaultBackup, indexSignature } from '../../workflows/database-state.ts';
import { failure } from '../../workflows/failures.ts';
import { DUMP_TIMEOUT_SECONDS } from '../../workflows/timeouts.ts';
import { lastLines } from '../output.ts';
import type { RemoteHost } from '../../ssh/executor.ts';
import { backupsDirOf } from '../host/layout.ts';
import { childPath, shownName } from '../host/names.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { listBackups, fileSha256 } from './backups.ts';
import { appCollections, appDatabases, asRoot } from './root.ts';
import { ContentHash } from './content-hash.ts';


/**
 * The backup to restore or validate: the one named, else the newest (not a
 * safety backup). Always as the runner's store has it: every backup
 * smokestack takes is copied there, checked at both ends, before its run
 * succeeds. A manifest found only on the host is anyone's who can write
 * there (a future-dated one would be "the newest"): it is never chosen, and
 * naming it is refused.
 */
export async function chooseBackup(plan: BackupPlan, id?: string): Promise<BackupManifest> {
  if (id !== undefined && !BACKUP_ID.test(id)) throw failure('InvalidInput', `${shownName(id)} is not a backup id (e.g. 2026-11-28T02-00-00Z)`);
  const stored = await listBackups(plan, 'store');
  const chosen = id ? stored.find((m) => m.id === id) : defaultBackup(stored);
  if (chosen) return chosen;
  if (!id) throw failure('InvalidInput', `${plan.environment} has no backups in the store yet`);
  if ((await listBackups(plan, 'host')).some((m) => m.id === id)) {
    throw failure('InvalidInput', `backup ${id} of ${plan.environment} is on its host only: the store has no copy to check it against, and a manifest from the host alone is not trusted`);
  }
  const known = stored.slice(0, 5).map((m) => m.id).join(', ');
  throw failure('InvalidInput', `no backup ${id} of ${plan.environment}; newest: ${known || 'none'}`);
}

/**
 * The archive on the host, checked against the manifest's sha256. A host
 * copy that is missing or differs is replaced by the store's, checked on
 * both ends too. Nothing live is touched before this passes.
 */
export async function stageArchive(plan: BackupPlan, manifest: BackupManifest): Promise<string> {
  const path = childPath(plan.hostDir, manifest.archive);
  const local = childPath(plan.storeDir, manifest.archive);
  return onHost(plan.host, async (host) => {
    const onHostSum = (await host.run(checksum(path))).stdout.split(/\s+/)[0];
    if (onHostSum === manifest.sha256) return path;
    const inStore = await fileSha256(local).catch(() => 'missing');
    if (inStore !== manifest.sha256) {
      throw failure('BackupCorrupt', `backup ${manifest.id} is damaged in both places: sha256 on the host ${onHostSum || 'missing'}, in the store ${inStore}, manifest ${manifest.sha256}`);
    }
    await uploadArchive(host, plan.host.host, local, path, manifest, backupsDirOf(plan.hostDir));
    return path;
  });
}

/**
 * The store's copy of an archive onto a host at `remote`: as `.partial`,
 * renamed once the host's sha256 of it is the manifest's. A retried upload
 * starts over; a half-written file never looks finished. It lands 0600 in
 * a 0700 directory, within `top`, the private folder of smokestack's it is in.
 */
export async function uploadArchive(host: RemoteHost, hostName: string, local: string, remote: string, manifest: BackupManifest, top: string): Promise<void> {
  await host.check(makePrivateDir(posix.dirname(remote), top));
  await whileHeartbeating(host.uploadFile(local, `${remote}.partial`));
  const arrived = (await host.check(checksum(`${remote}.partial`))).split(/\s+/)[0];
  if (arrived !== manifest.sha256) throw failure('BackupCopyCorrupt', `the store's copy of ${manifest.archive} arrived on ${hostName} as sha256 ${arrived}, its manifest's ${manifest.sha256}`);
  await host.check(moveFile(`${remote}.partial`, remote));
}

export async function stopApp(plan: BackupPlan): Promise<void> {
  if (plan.appContainers.length === 0) return;
  await onHost(plan.host, (host) => host.check(stopContainers(plan.appContainers), { timeoutSeconds: 120 }));
}

export async function startApp(plan: BackupPlan): Promise<void> {
  if (plan.appContainers.length === 0) return;
  await onHost(plan.host, (host) => host.check(startContainers(plan.appContainers), { timeoutSeconds: 120 }));
}

/**
 * Drops every application database, restores the archive's documents, then
 * builds the indexes the manifest recorded: the databases become exactly
 * the backup's.
 */
export async function restoreArchive(configFile: string, plan: BackupPlan, archivePath: string, manifest: BackupManifest): Promise<void> {
  await asRoot(configFile, plan, async (admin) => {
    for (const name of await appDatabases(admin)) await admin.client.db(name).dropDatabase();
  });
  await onHost(plan.host, async (host) => {
    const ran = await whileHeartbeating(host.run(restoreDatabase(plan.container, archivePath), { timeoutSeconds: DUMP_TIMEOUT_SECONDS }));
    if (ran.code !== 0) throw failure('DatabaseRestoreFailed', `mongorestore of ${posix.basename(archivePath)} failed: ${lastLines(ran.stderr, 5)}`);
  });
  await asRoot(configFile, plan, async (admin) => {
    for (const { namespace, specs } of manifest.indexes ?? []) {
      const dot = namespace.indexOf('.');
      const built = specs.filter((spec) => spec.name !== '_id_');
      if (built.length > 0) await admin.client.db(namespace.slice(0, dot)).command({ createIndexes: namespace.slice(dot + 1), indexes: built });
    }
  });
}

/** Every application collection: document count, index signatures, and its content hash (FerretDB has no dbHash). */
export async function databaseState(configFile: string, plan: BackupPlan): Promise<DatabaseState> {
  return asRoot(configFile, plan, stateOf);
}

/** The state of the databases behind `admin`'s client: what a restore or a validation compares with a manifest. */
export async function stateOf(admin: Db): Promise<DatabaseState> {
  const collections: CollectionState[] = [];
  for (const { namespace, collection } of await appCollections(admin)) {
    const hash = new ContentHash();
    let documents = 0;
    // The documents' own BSON bytes, as the server sends them: no re-encoding can hide a difference.
    for await (const raw of collection.find({}, { raw: true }) as AsyncIterable<Buffer>) {
      hash.add(raw);
      documents++;
    }
    const indexes = (await collection.listIndexes().toArray()).map((i) => indexSignature(i as IndexSpec)).sort();
    collections.push({ namespace, documents, indexes, sha256: hash.digest() });
  }
  return { collections };
}
