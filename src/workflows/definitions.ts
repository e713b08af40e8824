// Queries, signals and updates shared by workflows and the client.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalAnswer, BackupProgress, RestoreProgress, ApprovalDecision, DeployProgress, DeviceReport, PromotionProgress } from './types.ts';

export const progressQuery = defineQuery<DeployProgress>('progress');

/** One deploy per environment: the workflow ID is the lock. */
export const deployWorkflowId = (environment: string): string => `deploy-${environment}`;

// ---- Promotion ----

/** One promotion at a time: the workflow ID is the lock. */
export const PROMOTION_WORKFLOW_ID = 'promote-production';

/** A device's update within a promotion (one at a time per device, like its deploys). */
export const deviceUpdateWorkflowId = (device: string): string => `promote-device-${device}`;

export const promotionProgressQuery = defineQuery<PromotionProgress>('promotion-progress');
export const deviceProgressQuery = defineQuery<DeviceReport>('device-progress');

/** The CLI's way: an update, validated before it enters history, answered at once. */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApprovalAnswer]>('approve');
export const rejectUpdate = defineUpdate<ApprovalDecision, [ApprovalAnswer]>('reject');

/** The Web UI's way ("Send a Signal"): the same answer and the same rules, recorded either way. */
export const approveSignal = defineSignal<[ApprovalAnswer]>('approve');
export const rejectSignal = defineSignal<[ApprovalAnswer]>('reject');

/** A device that has just booted says so (its boot hook), so its update need not wait for the next probe. */
export const deviceOnlineSignal = defineSignal<[]>('device-online');

// ---- Backups ----

/** The environment's database lock: one backup or restore of it at a time. */
export const databaseWorkflowId = (environment: string): string => `database-${environment}`;
export const backupProgressQuery = defineQuery<BackupProgress>('backup-progress');
export const restoreProgressQuery = defineQuery<RestoreProgress>('restore-progress');

// ---- Database users ----

/** One `db users` run per environment at a time. */
export const databaseUsersWorkflowId = (environment: string): string => `database-users-${environment}`;
