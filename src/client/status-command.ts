// `smokestack status ENV`: the running deploy, step by step, or how the last one ended.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { deployWorkflowId, progressQuery } from '../workflows/definitions.ts';
import { EXIT } from './exit-codes.ts';
import { stepLine } from './render.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';

export async function showStatus(client: Client, settings: TemporalSettings, environment: string, write: (line: string) => void): Promise<number> {
  const handle = client.workflow.getHandle(deployWorkflowId(environment));
  const desc = await describeRecorded(handle);
  if (!desc) {
    write(`${environment}: no deploy recorded yet`);
    return EXIT.succeeded;
  }
  const progress = await handle.query(progressQuery);
  const running = desc.status.name === 'RUNNING';
  write(
    running
      ? `${environment}: deploying ${progress.version} (${progress.phase}) since ${desc.startTime.toISOString()}`
      : `${environment}: last deploy ${progress.version} ${progress.outcome ?? desc.status.name.toLowerCase()} at ${desc.closeTime?.toISOString() ?? '?'}`,
  );
  if (progress.previousVersion) write(`  previous version: ${progress.previousVersion}`);
  for (const step of progress.steps) write(stepLine(step));
  write(`  ${runUrl(settings, desc.workflowId, desc.runId)}`);
  return EXIT.succeeded;
}

/** The workflow's latest run, or undefined when none was ever recorded under its ID. */
export async function describeRecorded(handle: WorkflowHandle): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
