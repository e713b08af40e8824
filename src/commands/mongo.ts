// Pure builders for the MongoDB commands smokestack runs inside a stack's
// database container.
import type { Command } from './command.ts';
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
