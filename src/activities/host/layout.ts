// Where smokestack keeps its own files on a host, beside the stack.
import { posix } from 'node:path';

/** One directory per deploy, named by its run: the files and digests it replaced. */
export const rollbackPointsDir = (deployDir: string): string => posix.join(deployDir, '.smokestack', 'rollback');

/** The database dump taken before each deploy. */
export const preDeployBackupsDir = (deployDir: string): string => posix.join(deployDir, 'backups', 'pre-deploy');

/** The backups the backup workflow takes (daily, or by hand), each with its manifest. */
export const scheduledBackupsDir = (deployDir: string): string => posix.join(deployDir, 'backups', 'scheduled');

/** A finished backup (a crashed dump leaves a `.partial` file instead). */
export const BACKUP_SUFFIX = '.archive.gz';
