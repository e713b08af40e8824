// Every workflow the worker registers. The runbooks are registered measured
// (runbook-metrics.ts): how each run ends is counted here, in one place.
import { backup as backupRunbook } from './backup.ts';
import { databaseUsers as databaseUsersRunbook } from './database-users.ts';
import { deploy as deployRunbook } from './deploy.ts';
import { deviceUpdate as deviceUpdateRunbook } from './device-update.ts';
import { migrate as migrateRunbook } from './migrate.ts';
import { promote as promoteRunbook } from './promote.ts';
import { restore as restoreRunbook } from './restore.ts';
import { measured } from './runbook-metrics.ts';
import { validateBackup as validateBackupRunbook } from './validate.ts';

export const deploy = measured(deployRunbook);
export const promote = measured(promoteRunbook);
export const deviceUpdate = measured(deviceUpdateRunbook);
export const backup = measured(backupRunbook);
export const databaseUsers = measured(databaseUsersRunbook);
export const restore = measured(restoreRunbook);
export const validateBackup = measured(validateBackupRunbook);
export const migrate = measured(migrateRunbook);
export { notifier } from './notifier.ts';
export { backupInventory } from './backup.ts';
export { environmentLock } from './lock.ts';
export { keepSource } from './keep-source.ts';
