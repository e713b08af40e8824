// A backup proven by restoring it where it can harm nothing: a scratch
// database container on the database's own host, started from the live
// database's image with a one-time root password, published on the host's
// loopback only, and removed afterwards whatever happened. What it holds
// then is read back through the driver and compared, by the workflow, with
// the manifest. The live database is never touched.
//
// Also here: reading an archive through once it is safe off the host (its
// own counts, indexes and content hashes go into the manifest), and
// writing a manifest again in both places when it learns something.
import { randomBytes } from 'node:crypto';
import { lstat, rename, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Db } from 'mongodb';
import { containerImageId, dockerRootDir, publishedPort, removeContainer, runScratchDatabase } from '../../commands/docker.ts';
import { checksum, fileSize, writeFile as writeRemoteFile } from '../../commands/files.ts';
import { restoreDatabase } from '../../commands/mongo.ts';
import type { BackupCopy, BackupManifest, BackupPlan, CopyCheck, DatabaseState } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { DUMP_TIMEOUT_SECONDS } from '../../workflows/timeouts.ts';
import type { RemoteHost } from '../../ssh/executor.ts';
import { childPath } from '../host/names.ts';
import { freeDisk } from '../host/preflight.ts';
import { lastLines } from '../output.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { readArchiveFile } from './archive.ts';
import { assertManifest, fileSha256, MANIFEST_SUFFIX } from './backups.ts';
import { withDatabase } from './connect.ts';
import { printableDetail } from './manifest.ts';
import { stageArchive, stateOf } from './restore.ts';

const SCRATCH_USER = 'smokestack-validate';
/** How long a scratch database may take to accept its root user's login. */
const SCRATCH_READY_MS = 90_000;

/**
 * Reads the store's copy (already checked against the manifest's sha256)
 * through: mongodump's log and the archive itself must agree on every
 * count. The manifest, now with the archive's own content, is written
 * again in both places.
 */
export async function inspectArchive(plan: BackupPlan, manifest: BackupManifest): Promise<BackupManifest> {
  const content = await whileHeartbeating(readArchiveFile(childPath(plan.storeDir, manifest.archive)));
  const said = new Map(manifest.collections.map((c) => [c.namespace, c.documents]));
  const disagree = content.collections.filter((c) => (said.get(c.namespace) ?? 0) !== c.documents || !said.has(c.namespace));
  if (disagree.length > 0 || said.size !== content.collections.length) {
    const detail = disagree.map((c) => `${c.namespace}: ${c.documents} in the archive, ${said.get(c.namespace) ?? 'none'} by mongodump's log`).join('; ');
    throw failure('BackupCorrupt', `archive ${manifest.archive} disagrees with mongodump's own account: ${detail || 'different collections'}`);
  }
  const inspected = { ...manifest, content };
  await saveManifest(plan, inspected);
  return inspected;
}

/** Writes the manifest beside each copy of its archive that still exists; only a manifest that passes the checks of one read back. */
export async function saveManifest(plan: BackupPlan, given: BackupManifest): Promise<void> {
  const manifest = given.validated ? { ...given, validated: { ...given.validated, detail: printableDetail(given.validated.detail) } } : given;
  assertManifest(plan, manifest);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const name = `${manifest.id}${MANIFEST_SUFFIX}`;
  if (await lstat(childPath(plan.storeDir, manifest.archive)).then((s) => s.isFile(), () => false)) {
    // Renamed into place: a reader (the listing, a restore) never sees half a manifest.
    await writeFile(childPath(plan.storeDir, `${name}.partial`), text, { mode: 0o600 });
    await rename(childPath(plan.storeDir, `${name}.partial`), childPath(plan.storeDir, name));
  }
  await onHost(plan.host, async (host) => {
    if ((await host.run(fileSize(childPath(plan.hostDir, manifest.archive)))).code !== 0) return;
    await host.check(writeRemoteFile(childPath(plan.hostDir, name), text));
  });
}

/** Each copy's archive, hashed again now: the manifest's sha256, or not. */
export async function checkCopies(plan: BackupPlan, manifest: BackupManifest): Promise<CopyCheck[]> {
  const inStore = await whileHeartbeating(fileSha256(childPath(plan.storeDir, manifest.archive)).catch(() => undefined));
  const onHostSum = await onHost(plan.host, async (host) => {
    const ran = await whileHeartbeating(host.run(checksum(childPath(plan.hostDir, manifest.archive))));
    return ran.code === 0 ? ran.stdout.split(/\s+/)[0] : undefined;
  });
  const verdict = (copy: BackupCopy, sum: string | undefined): CopyCheck => ({ copy, state: sum === undefined ? 'missing' : sum === manifest.sha256 ? 'ok' : 'differs', sha256: sum });
  return [verdict('host', onHostSum), verdict('store', inStore)];
}

/**
 * Restores the backup into a scratch container on the database's host and
 * reads it back. Indexes are built from the archive's own metadata (the
 * manifest's content), so the comparison with the indexes read live at
 * dump time proves them. The scratch container goes in every case.
 */
export async function restoreIntoScratch(plan: BackupPlan, manifest: BackupManifest): Promise<DatabaseState> {
  const archivePath = await stageArchive(plan, manifest);
  const scratch = `smokestack-validate-${plan.environment}`;
  // Never leaves this attempt: not in history, not on disk, not in argv.
  const password = randomBytes(24).toString('base64url');
  return onHost(plan.host, async (host) => {
    await host.run(removeContainer(scratch)); // a leftover of a dead attempt
    await enoughDiskForScratch(host, plan, manifest);
    try {
      const image = (await host.check(containerImageId(plan.container))).trim();
      await host.check(runScratchDatabase(scratch, image, `MONGO_INITDB_ROOT_USERNAME=${SCRATCH_USER}\nMONGO_INITDB_ROOT_PASSWORD=${password}\n`));
      const port = Number(/:(\d+)\s*$/m.exec(await host.check(publishedPort(scratch, 27017)))?.[1]);
      if (!port) throw new Error(`docker did not say where ${scratch} publishes 27017`);
      const asScratchRoot = <T>(fn: (admin: Db) => Promise<T>) =>
        withDatabase(plan.host, { user: SCRATCH_USER, password }, (client) => fn(client.db('admin')), { port, serverSelectionTimeoutMS: 5_000 });
      await whileHeartbeating(untilReady(() => asScratchRoot((admin) => admin.command({ ping: 1 }))));
      await mongorestoreInto(host, scratch, archivePath);
      return await whileHeartbeating(
        asScratchRoot(async (admin) => {
          for (const { namespace, indexes } of manifest.content?.collections ?? []) {
            const built = indexes.filter((spec) => spec.name !== '_id_');
            const dot = namespace.indexOf('.');
            if (built.length > 0) await admin.client.db(namespace.slice(0, dot)).command({ createIndexes: namespace.slice(dot + 1), indexes: built });
          }
          return stateOf(admin);
        }),
      );
    } finally {
      await host.run(removeContainer(scratch));
    }
  });
}

/**
 * The scratch database shares its disk with the live one: it must not fill
 * it. Room for three times the backup's documents (what the archive's
 * metadata says they are uncompressed; engines store more than that), and
 * the host's free-disk floor left over. Too little is not the backup's
 * fault: the validation cannot run, and says why.
 */
async function enoughDiskForScratch(host: RemoteHost, plan: BackupPlan, manifest: BackupManifest): Promise<void> {
  const documentsMb = Math.ceil((manifest.content?.collections ?? []).reduce((n, c) => n + c.bytes, 0) / 2 ** 20) || Math.ceil((manifest.bytes * 10) / 2 ** 20);
  const neededMb = 3 * documentsMb + plan.minFreeDiskMb;
  const root = (await host.run(dockerRootDir())).stdout.trim() || '/';
  const freeMb = await freeDisk(host, root);
  if (freeMb < neededMb) {
    throw failure('PreflightFailed', `a scratch database for ${manifest.id} needs ${neededMb} MB free where Docker keeps its data on ${plan.host.host} (${root}: 3 × ${documentsMb} MB of documents + the ${plan.minFreeDiskMb} MB floor), and ${freeMb} MB are: the live database shares that disk`);
  }
}

async function mongorestoreInto(host: RemoteHost, container: string, archivePath: string): Promise<void> {
  const ran = await whileHeartbeating(host.run(restoreDatabase(container, archivePath), { timeoutSeconds: DUMP_TIMEOUT_SECONDS }));
  if (ran.code !== 0) throw failure('BackupCorrupt', `mongorestore of ${posix.basename(archivePath)} into a scratch database failed: ${lastLines(ran.stderr, 5)}`);
}

/** Tries until the scratch database accepts its root user: it creates that user as it first starts. */
async function untilReady(attempt: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + SCRATCH_READY_MS;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the scratch database did not accept its login within ${SCRATCH_READY_MS / 1000} s: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
