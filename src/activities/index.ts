// Every activity the worker registers, bound to the worker's configuration.
import { configPath } from '../config/load.ts';
import { healthGate } from './health.ts';
import { planDeploy } from './plan.ts';
import { preflight } from './preflight.ts';
import { holdServices, pullImages, releaseServices, startStack, uploadStack } from './stack.ts';
import { captureRollbackPoint, restoreRollbackPoint } from './rollback.ts';
import { backupDatabase } from './backup.ts';
import { notify, type NoticeInput } from './notify.ts';
import type { DeployInput } from '../workflows/types.ts';

export interface ActivityDeps {
  /** smokestack.yml on the worker machine: hosts, keys and secret sources live here. */
  configFile: string;
}

export function createActivities(deps: ActivityDeps = { configFile: configPath() }) {
  return {
    planDeploy: (input: DeployInput) => planDeploy(deps.configFile, input),
    notify: (notice: NoticeInput) => notify(deps.configFile, notice),
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
