// Pure builders for the MongoDB commands smokestack runs inside a stack's
// database container.
import { cmd, type Command } from './command.ts';
import { execScript } from './docker.ts';

/**
 * Runs a mongo-tools command inside the mongo container as its root user.
 * The credentials are the container's own environment, expanded there:
 * never in our argv or logs. The password reaches the tool in a private
 * config file (YAML, single-quoted), written by the shell's builtins and
 * removed after: were it an argument, `ps` on the host would show it to
 * anyone for as long as the dump runs. The tool's stdin and stdout are the
 * shell's, so an archive can stream through either.
 */
const asRoot = (tool: string): string =>
  [
    'umask 077',
    'f=$(mktemp) || exit 1',
    `pw=$(printf '%s' "$MONGO_INITDB_ROOT_PASSWORD" | sed "s/'/''/g")`,
    `printf "password: '%s'\\n" "$pw" > "$f"`,
    `${tool} --config "$f" --username "$MONGO_INITDB_ROOT_USERNAME" --authenticationDatabase admin`,
    'rc=$?',
    'rm -f "$f"',
    'exit $rc',
  ].join('\n');

const DUMP_SCRIPT = asRoot('mongodump --quiet --archive --gzip');

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
const LOGGED_DUMP_SCRIPT = asRoot('mongodump --archive --gzip');

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
const RESTORE_SCRIPT = asRoot(`mongorestore --archive --gzip --drop --noIndexRestore --nsExclude 'admin.*' --nsExclude 'config.*' --nsExclude 'local.*'`);

export const restoreDatabase = (container: string, archiveFile: string): Command => ({
  ...execScript(container, RESTORE_SCRIPT),
  stdinFile: archiveFile,
});
