// Queries, signals and updates shared by workflows and the client.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AnswerOutcome,
  BackupProgress,
  RestoreProgress,
  ValidationProgress,
  DeployProgress,
  DeviceReport,
  EnvironmentLockState,
  LockRequest,
  LockStatus,
  LockWaiting,
  KeepSourceState,
  MigrationProgress,
  Notice,
  PromotionProgress,
} from './types.ts';
import type { RefusedInputs } from './signal-input.ts';

export const progressQuery = defineQuery<DeployProgress>('progress');

/**
 * The signals a run refused (their input was not of their shape), the
 * newest and a count: answered by every workflow that parses its signals
 * (refusals.ts).
 */
export const refusedInputQuery = defineQuery<RefusedInputs>('refused-input');

/** A notice for a run's notifier (notifier.ts), which delivers them in order. */
export const noticeSignal = defineSignal<[Notice]>('notice');

/**
 * One deploy per environment: a second start is refused by its workflow ID.
 * That a deploy never runs beside a backup or restore of the environment is
 * the environment lock's work (below).
 */
export const deployWorkflowId = (environment: string): string => `deploy-${environment}`;

// ---- Promotion ----

/** One promotion at a time: the workflow ID is the lock. */
export const PROMOTION_WORKFLOW_ID = 'promote-production';

/** A device's update within a promotion (one at a time per device, like its deploys). */
export const deviceUpdateWorkflowId = (device: string): string => `promote-device-${device}`;

export const promotionProgressQuery = defineQuery<PromotionProgress>('promotion-progress');
export const deviceProgressQuery = defineQuery<DeviceReport>('device-progress');

/**
 * The CLI's way: an update carrying a signed statement ({ statement,
 * signature }), validated before it enters history, answered at once.
 * Typed `unknown`: whatever a person sends is parsed, never trusted.
 */
export const approveUpdate = defineUpdate<AnswerOutcome, [unknown]>('approve');
export const rejectUpdate = defineUpdate<AnswerOutcome, [unknown]>('reject');

/** The Web UI's way ("Send a Signal", the JSON `--print-signal` prints): the same answer and rules, recorded either way. */
export const approveSignal = defineSignal<[unknown]>('approve');
export const rejectSignal = defineSignal<[unknown]>('reject');

/** A device that has just booted says so (its boot hook), so its update need not wait for the next probe. */
export const deviceOnlineSignal = defineSignal<[]>('device-online');

// ---- Backups ----

/**
 * A backup or restore started by hand: one at a time per environment, by
 * workflow ID. A scheduled backup's ID carries its time; every one of them
 * takes the environment lock (below) before it touches anything.
 */
export const databaseWorkflowId = (environment: string): string => `database-${environment}`;
export const backupProgressQuery = defineQuery<BackupProgress>('backup-progress');
export const restoreProgressQuery = defineQuery<RestoreProgress>('restore-progress');
export const validationProgressQuery = defineQuery<ValidationProgress>('validation-progress');

// ---- Database users ----

/** One `db users` run per environment at a time. */
export const databaseUsersWorkflowId = (environment: string): string => `database-users-${environment}`;

// ---- The environment lock ----

/** The lock workflow of an environment, shared by its deploys, backups and restores. */
export const lockWorkflowId = (environment: string): string => `lock-${environment}`;

/** A run asks for the lock (sent by an activity, with signal-with-start). */
export const requestLockSignal = defineSignal<[LockRequest]>('lock-request');
/** A run gives the lock back, or withdraws its request: the request's token. */
export const releaseLockSignal = defineSignal<[string]>('lock-release');
/** The lock to a run: it is yours (the request's token). */
export const lockGrantedSignal = defineSignal<[string]>('lock-granted');
/** The lock to a run that waits: who holds it, how many wait ahead. */
export const lockWaitingSignal = defineSignal<[LockWaiting]>('lock-waiting');

/** The lock workflow's state: who holds it, who waits. */
export const lockStateQuery = defineQuery<EnvironmentLockState>('lock-state');
/** A run's own locks: asked, waiting (for whom) or held. */
export const environmentLockQuery = defineQuery<LockStatus[]>('environment-lock');

// ---- Migration ----

/**
 * One migration per source, ever: a completed one refuses another start
 * with this ID (reuse policy: failed runs only) unless forced. Dry runs have
 * IDs of their own and may repeat.
 */
export const migrateWorkflowId = (from: string, dryRun = false): string => `migrate-${from}${dryRun ? '-dry-run' : ''}`;
/** The countdown to the reminder that the old host can go, started by the migration and outliving it. */
export const keepSourceWorkflowId = (from: string): string => `migrate-${from}-keep-source`;
export const migrationProgressQuery = defineQuery<MigrationProgress>('migration-progress');
export const keepSourceQuery = defineQuery<KeepSourceState>('keep-source');
