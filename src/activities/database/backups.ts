// The scheduled backup's steps on the worker: plan from config, dump on the
// database's host with a manifest beside the archive, copy both off the
// host to the runner's store (checksummed at both ends), list and remove
// backups in either place. The workflow decides; these only do.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { checksum, listEntries, makePrivateDir, removeFile, writeFile as writeRemoteFile } from '../../commands/files.ts';
import { dumpDatabaseLogged, mongodumpVersion } from '../../commands/mongo.ts';
import { BACKUP_ID } from '../../workflows/backup-id.ts';
import type { BackupCopies, BackupCopy, BackupInput, BackupManifest, BackupPlan, CollectionCount, RefusedManifest } from '../../workflows/types.ts';
import { authorizeChange } from '../approval/signatures.ts';
import type { ChangeRequest } from '../../workflows/signed-statement.ts';
import { failure } from '../../workflows/failures.ts';
import { hostTargetOf, workerConfig } from '../plan.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { BACKUP_SUFFIX, backupsDirOf, scheduledBackupsDir } from '../host/layout.ts';
import { childPath, nameProblem, parseEntries, shownName } from '../host/names.ts';
import { dumpToFile } from './backup.ts';
import { checkManifest, parseManifest, readHostManifest, readStoreManifest, type ManifestRead } from './manifest.ts';
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
  if (!BACKUP_ID.test(id)) throw failure('InvalidInput', `${shownName(id)} is not a backup id`);
  const archive = `${id}${BACKUP_SUFFIX}`;
  const path = childPath(plan.hostDir, archive);
  const { workflowExecution } = Context.current().info;
  return onHost(plan.host, async (host) => {
    await host.check(makePrivateDir(plan.hostDir, backupsDirOf(plan.hostDir)));
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
    await host.check(writeRemoteFile(childPath(plan.hostDir, `${id}${MANIFEST_SUFFIX}`), `${JSON.stringify(manifest, null, 2)}\n`));
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
  assertManifest(plan, manifest);
  const remote = childPath(plan.hostDir, manifest.archive);
  const local = childPath(plan.storeDir, manifest.archive);
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
  await writeFile(childPath(plan.storeDir, `${manifest.id}${MANIFEST_SUFFIX}`), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return local;
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A manifest about to be written into the store or onto a host: it must
 * pass the checks every manifest read back passes, or it is not written.
 */
export function assertManifest(plan: BackupPlan, manifest: BackupManifest): void {
  const verdict = checkManifest(manifest, { now: Date.now(), environment: plan.environment });
  if (!verdict.ok) throw failure('InvalidInput', `refusing to write the manifest of ${shownName(String(manifest.id))}: ${verdict.why}`);
}

/** The manifests of one copy's backups that pass (manifest.ts), whose archives are there too; newest first. Those refused are logged. */
export async function listBackups(plan: BackupPlan, copy: BackupCopy): Promise<BackupManifest[]> {
  const listed = copy === 'store' ? await storeCopy(plan, Date.now()) : await hostCopy(plan, Date.now());
  for (const r of listed.refused) warn(`${plan.environment}'s ${r.copy} copy: ${r.name} refused: ${r.why}`);
  return listed.manifests;
}

/** Both copies, and every manifest refused with why: what rotation and `backups ENV` decide from. */
export async function listBackupCopies(plan: BackupPlan): Promise<BackupCopies> {
  const now = Date.now();
  const [host, store] = await Promise.all([hostCopy(plan, now), storeCopy(plan, now)]);
  const refused = [...host.refused, ...store.refused];
  for (const r of refused) warn(`${plan.environment}'s ${r.copy} copy: ${r.name} refused: ${r.why}`);
  return { host: host.manifests, store: store.manifests, refused: [...atMost(host.refused), ...atMost(store.refused)] };
}

/** Enough refusals to say what happened; a host that plants thousands must not make the report too large for Temporal. */
const REFUSALS_REPORTED = 50;
function atMost(refused: RefusedManifest[]): RefusedManifest[] {
  if (refused.length <= REFUSALS_REPORTED) return refused;
  const rest = refused.length - REFUSALS_REPORTED;
  return [...refused.slice(0, REFUSALS_REPORTED), { copy: refused[0]!.copy, name: '…', why: `and ${rest} more refused (the worker's log has each)` }];
}

interface CopyListing {
  manifests: BackupManifest[];
  refused: RefusedManifest[];
}

async function storeCopy(plan: BackupPlan, now: number): Promise<CopyListing> {
  const dir = plan.storeDir;
  const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const refused: RefusedManifest[] = [];
  const names: string[] = [];
  for (const { name } of dirents) {
    const problem = nameProblem(name);
    if (problem) refused.push({ copy: 'store', name: shownName(name), why: problem });
    else names.push(name);
  }
  const isFile = (name: string) => lstat(childPath(dir, name)).then((s) => s.isFile(), () => false);
  return manifestsAmong(names, 'store', refused, plan.environment, now, isFile, (name) => readStoreManifest(childPath(dir, name)));
}

async function hostCopy(plan: BackupPlan, now: number): Promise<CopyListing> {
  return onHost(plan.host, async (host) => {
    const listed = await host.run(listEntries(plan.hostDir));
    if (listed.code !== 0) return { manifests: [], refused: [] }; // nothing there yet
    const { entries, refused: badNames } = parseEntries(listed.stdout);
    const refused: RefusedManifest[] = badNames.map((r) => ({ copy: 'host', ...r }));
    const files = new Set(entries.filter((e) => e.type === 'f').map((e) => e.name));
    const names = entries.map((e) => e.name);
    return manifestsAmong(names, 'host', refused, plan.environment, now, async (name) => files.has(name), (name) => readHostManifest(host, childPath(plan.hostDir, name)));
  });
}

/** The manifests among a directory's (checked) names that read and parse, and whose archive is a file there; the rest refused. */
async function manifestsAmong(
  names: string[],
  copy: BackupCopy,
  refused: RefusedManifest[],
  environment: string,
  now: number,
  isFile: (name: string) => Promise<boolean>,
  read: (name: string) => Promise<ManifestRead>,
): Promise<CopyListing> {
  const manifests: BackupManifest[] = [];
  for (const name of names.filter((n) => n.endsWith(MANIFEST_SUFFIX))) {
    const got = await read(name);
    const verdict = 'why' in got ? got : parseManifest(got.text, { now, environment, id: name.slice(0, -MANIFEST_SUFFIX.length) });
    if ('why' in verdict) {
      refused.push({ copy, name: shownName(name), why: verdict.why });
      continue;
    }
    // A manifest without its archive is a backup half removed (archive first): not a backup.
    if (await isFile(verdict.manifest.archive)) manifests.push(verdict.manifest);
  }
  return { manifests: manifests.sort((a, b) => b.takenAt - a.takenAt), refused };
}

function warn(line: string): void {
  try {
    Context.current().log.warn(line);
  } catch {
    // outside an activity (the metrics' reading of the store): stay quiet
  }
}

/** Removes backups (archive, then manifest) from one copy. */
export async function removeBackups(plan: BackupPlan, copy: BackupCopy, ids: string[]): Promise<void> {
  const notIds = ids.filter((id) => !BACKUP_ID.test(id));
  if (notIds.length > 0) throw failure('InvalidInput', `refusing to remove ${notIds.map(shownName).join(', ')}: not backup ids`);
  const files = (id: string) => [`${id}${BACKUP_SUFFIX}`, `${id}${MANIFEST_SUFFIX}`];
  if (copy === 'store') {
    for (const id of ids) for (const f of files(id)) await rm(childPath(plan.storeDir, f), { force: true });
    return;
  }
  await onHost(plan.host, async (host) => {
    for (const id of ids) for (const f of files(id)) await host.check(removeFile(childPath(plan.hostDir, f)));
  });
}
