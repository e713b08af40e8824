// Every workflow the worker registers.
export { deploy } from './deploy.ts';
export { notifier } from './notifier.ts';
export { promote } from './promote.ts';
export { deviceUpdate } from './device-update.ts';
export { backup, backupInventory } from './backup.ts';
export { databaseUsers } from './database-users.ts';
export { restore } from './restore.ts';
export { validateBackup } from './validate.ts';
export { environmentLock } from './lock.ts';
export { migrate } from './migrate.ts';
export { keepSource } from './keep-source.ts';
