// Pure builders for the MongoDB commands smokestack runs inside a stack's
// database container.
import { cmd, type Command } from './command.ts';
import { execScript } from './docker.ts';

/**
 * Runs inside the mongo container. The credentials are the container's own
 * environment, expanded there: they never appear in our argv or logs.
 */
const DUMP_SCRIPT =
  'exec mongodump --quiet --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --archive --gzip';

/** A consistent gzipped archive of every database, taken through the running server, written to a file on the host. */
export const dumpDatabase = (container: string, archiveFile: string): Command => ({
  ...execScript(container, DUMP_SCRIPT),
  stdoutFile: archiveFile,
});

/**
 * The scheduled backup's dump: as above, but not quiet, so that mongodump
 * says what it wrote ("done dumping smartsmoker.cooks (12 documents)"):
 * the manifest's counts are the archive's own, not a count taken beside it.
 */
const LOGGED_DUMP_SCRIPT =
  'exec mongodump --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --archive --gzip';

export const dumpDatabaseLogged = (container: string, archiveFile: string): Command => ({
  ...execScript(container, LOGGED_DUMP_SCRIPT),
  stdoutFile: archiveFile,
});

export const mongodumpVersion = (container: string): Command => cmd('docker', 'exec', container, 'mongodump', '--version');

/**
 * Restores an archive (read on the host, fed to the container's stdin) over
 * the live databases: each collection in it is dropped first, so what was
 * written since the backup is gone. Users and roles are left as they are.
 * Indexes are built afterwards from the manifest: mongorestore passes on
 * the "ns" option FerretDB lists, which FerretDB then refuses.
 */
const RESTORE_SCRIPT =
  'exec mongorestore --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --archive --gzip --drop --noIndexRestore --nsExclude "admin.*" --nsExclude "config.*" --nsExclude "local.*"';

export const restoreDatabase = (container: string, archiveFile: string): Command => ({
  ...execScript(container, RESTORE_SCRIPT),
  stdinFile: archiveFile,
});
