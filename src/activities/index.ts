// Every activity the worker registers, bound to the worker's configuration.
import { configPath } from '../config/load.ts';
import { allKeptAlive } from './keep-alive.ts';
import { healthGate } from './host/health.ts';
import { planDeploy, workerConfig } from './plan.ts';
import { checkSignature } from '../signatures/check.ts';
import type { ChangeRequest } from '../workflows/signed-statement.ts';
import { preflight } from './host/preflight.ts';
import { holdServices, pullImages, releaseServices, startStack, uploadStack } from './host/stack.ts';
import { captureRollbackPoint, restoreRollbackPoint } from './host/rollback.ts';
import { backupDatabase } from './database/backup.ts';
import { pruneHost } from './host/retention.ts';
import { smokeTest } from './host/smoke.ts';
import { notify } from './notify/notify.ts';
import { pointTags, readTags, resolveDigests, restoreTags } from './registry/promote.ts';
import { configureFunnel } from './host/funnel.ts';
import { probeHost } from './host/probe.ts';
import { inspectRunning } from './host/running.ts';
import { planPromotion } from './promotion/plan.ts';
import { lastDeploys } from './promotion/records.ts';
import { copyOffHost, listBackupCopies, listBackups, planBackup, removeBackups, takeBackup } from './database/backups.ts';
import { ensureDatabaseUsers } from './database/users.ts';
import { environmentLockActivities } from './lock.ts';
import { chooseBackup, databaseState, restoreArchive, stageArchive, startApp, stopApp } from './database/restore.ts';
import { checkCopies, inspectArchive, restoreIntoScratch, saveManifest } from './database/validation.ts';
import { databaseFacts, newestId, planMigration, smokeCheck, transferArchive } from './database/migration.ts';
import type { BackupInput, BackupManifest, BackupPlan, DeployInput, MigrateInput, Notice, PromoteInput } from '../workflows/types.ts';

interface ActivityDeps {
  /** smokestack.yml on the worker machine: hosts, keys and secret sources live here. */
  configFile: string;
}

/** Every activity, kept alive by heartbeats (keep-alive.ts) so that a dead worker is noticed within seconds. */
export function createActivities(deps: ActivityDeps = { configFile: configPath() }) {
  return allKeptAlive({
    planDeploy: (input: DeployInput, options?: { authorize?: boolean }) => planDeploy(deps.configFile, input, options),
    checkSignature: (signed: unknown) => checkSignature(workerConfig(deps.configFile), signed),
    notify: (notice: Notice) => notify(deps.configFile, notice),
    preflight,
    captureRollbackPoint,
    backupDatabase,
    holdServices,
    uploadStack,
    pullImages,
    startStack,
    healthGate,
    releaseServices,
    restoreRollbackPoint,
    pruneHost,
    smokeTest,
    planPromotion: (input: PromoteInput) => planPromotion(deps.configFile, input),
    inspectRunning,
    lastDeploys,
    configureFunnel,
    probeHost,
    readTags,
    resolveDigests,
    pointTags,
    restoreTags,
    planBackup: (input: BackupInput, change?: ChangeRequest) => planBackup(deps.configFile, input, change),
    takeBackup: (plan: BackupPlan, id: string, trigger: BackupManifest['trigger']) => takeBackup(deps.configFile, plan, id, trigger),
    copyOffHost,
    listBackups,
    listBackupCopies,
    removeBackups,
    ensureDatabaseUsers: (environment: string) => ensureDatabaseUsers(deps.configFile, environment),
    chooseBackup,
    stageArchive,
    stopApp,
    startApp,
    restoreArchive: (plan: BackupPlan, archivePath: string, manifest: BackupManifest) => restoreArchive(deps.configFile, plan, archivePath, manifest),
    databaseState: (plan: BackupPlan) => databaseState(deps.configFile, plan),
    ...environmentLockActivities(),
    inspectArchive,
    saveManifest,
    checkCopies,
    restoreIntoScratch,
    planMigration: (input: MigrateInput) => planMigration(deps.configFile, input),
    databaseFacts: (plan: BackupPlan) => databaseFacts(deps.configFile, plan),
    transferArchive,
    newestId: (plan: BackupPlan, collection: string) => newestId(deps.configFile, plan, collection),
    smokeCheck,
  });
}

export type Activities = ReturnType<typeof createActivities>;
