// Queries, signals and updates shared by workflows and the client.
import { defineQuery } from '@temporalio/workflow';
import type { DeployProgress } from './types.ts';

export const progressQuery = defineQuery<DeployProgress>('progress');

/** One deploy per environment: the workflow ID is the lock. */
export const deployWorkflowId = (environment: string): string => `deploy-${environment}`;
