// `smokestack rollback ENV [--to VERSION]`: find a recent successful deploy
// in Temporal's records and deploy exactly its images again, by digest.
import type { Client } from '@temporalio/client';
import { deployWorkflowId } from '../workflows/definitions.ts';
import type { DeployInput, DeployResult } from '../workflows/types.ts';
import { InputError } from './input.ts';

const HOW_FAR_BACK = 20;

export async function rollbackRequest(client: Client, environment: string, to: string | undefined, requestedBy?: string): Promise<DeployInput> {
  const workflowId = deployWorkflowId(environment);
  const runs: { start: Date; result: DeployResult }[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'` })) {
    const result = (await client.workflow.getHandle(workflowId, run.runId).result()) as DeployResult;
    if (result?.outcome === 'succeeded') runs.push({ start: run.startTime, result });
    if (runs.length >= HOW_FAR_BACK) break;
  }
  runs.sort((a, b) => b.start.getTime() - a.start.getTime());
  const current = runs[0]?.result.version;
  const target = to ? runs.find((r) => r.result.version === to) : runs.find((r) => r.result.version !== current);
  if (!target) {
    const known = [...new Set(runs.map((r) => r.result.version))].join(', ') || 'none';
    throw new InputError(
      to ? `no successful deploy of ${to} to ${environment} is recorded (recorded: ${known})` : `no earlier successful deploy of ${environment} is recorded (recorded: ${known})`,
    );
  }
  return { environment, version: target.result.version, images: target.result.services, requestedBy };
}
