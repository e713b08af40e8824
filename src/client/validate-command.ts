// `smokestack validate ENV [--backup ID] [--wait]`: restores a backup into a
// scratch database on its host and compares it with its manifest, under the
// environment's database lock. The live database is never touched.
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { databaseWorkflowId, validationProgressQuery } from '../workflows/definitions.ts';
import { failureTypeOf, messageOf, REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import type { ValidateInput, ValidationResult } from '../workflows/types.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';
import { follow } from './backup-command.ts';
import { EXIT } from './exit-codes.ts';

export async function runValidate(client: Client, settings: TemporalSettings, input: ValidateInput, options: { wait: boolean }, write: (line: string) => void): Promise<number> {
  const workflowId = databaseWorkflowId(input.environment);
  let runId: string;
  try {
    const handle = await client.workflow.start('validateBackup', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [input],
      staticSummary: `validate ${input.backupId ?? 'the newest backup'} of ${input.environment}`,
    });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(workflowId).describe();
    write(`refused: a backup, restore or validation of ${input.environment} is already running: ${workflowId} (${desc.type}, run ${desc.runId})`);
    return EXIT.busy;
  }
  write(`validate ${input.environment}: ${workflowId}`);
  write(`  Web UI: ${runUrl(settings, workflowId, runId)}`);
  if (!options.wait) return EXIT.succeeded;
  try {
    const result = await follow<ValidationResult>(client, workflowId, runId, validationProgressQuery, write);
    write(`validated: backup ${result.backup.id} of ${input.environment}: ${result.backup.validated?.detail}`);
    for (const note of result.problems) write(`  note: ${note}`);
    return EXIT.succeeded;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    write(`${failureTypeOf(err) === 'BackupInvalid' ? 'INVALID' : 'failed'}: ${messageOf(err)}`);
    return REFUSED_BEFORE_CHANGE.has(failureTypeOf(err) ?? '') ? EXIT.invalid : EXIT.failed;
  }
}
