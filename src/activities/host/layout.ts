// Where smokestack keeps its own files on a host, beside the stack: two
// folders, private (0700) with everything in them (commands/files.ts).
import { posix } from 'node:path';

/** Smokestack's own folder: rollback points. */
export const smokestackDir = (deployDir: string): string => posix.join(deployDir, '.smokestack');

/** Every database dump on the host: before deploys, scheduled, and migrations' transfers. */
export const backupsDir = (deployDir: string): string => posix.join(deployDir, 'backups');

/** One directory per deploy, named by its run: the files and digests it replaced. */
export const rollbackPointsDir = (deployDir: string): string => posix.join(smokestackDir(deployDir), 'rollback');

/** The database dump taken before each deploy. */
export const preDeployBackupsDir = (deployDir: string): string => posix.join(backupsDir(deployDir), 'pre-deploy');

/** The backups the backup workflow takes (daily, or by hand), each with its manifest. */
export const scheduledBackupsDir = (deployDir: string): string => posix.join(backupsDir(deployDir), 'scheduled');

/** The backups folder a backup plan's host directory is in (a plan knows its hostDir, not its deployDir). */
export const backupsDirOf = (hostDir: string): string => posix.dirname(hostDir);

/** A finished backup (a crashed dump leaves a `.partial` file instead). */
export const BACKUP_SUFFIX = '.archive.gz';
